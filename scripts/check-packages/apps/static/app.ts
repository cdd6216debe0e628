// A TypeScript user of @koa-kit/static: options and ctx.state.static.
import { type ServeStaticOptions, type StaticState, serveStatic } from '@koa-kit/static';
import Koa from 'koa';

const options: ServeStaticOptions = {
  prefix: '/assets',
  index: ['index.html'],
  extensions: ['html'],
  maxAge: 86_400_000,
  immutable: true,
  filter: (relativePath) => !relativePath.endsWith('.map'),
  setHeaders: (ctx, _file, stats) => {
    ctx.set('X-Size', String(stats.size));
  },
};

const app = new Koa();
app.use(async (ctx, next) => {
  await next();
  const served: StaticState | undefined = ctx.state.static;
  const encoding: 'br' | 'gzip' | undefined = served?.encoding;
  if (served) ctx.set('X-Served', `${served.relativePath} ${encoding ?? 'identity'}`);
  // @ts-expect-error ctx.state.static is typed by the package, not `any`
  const wrong: number = ctx.state.static;
  void wrong;
});
app.use(serveStatic('./public', options));

serveStatic('./public', { maxAge: '1d' });
// @ts-expect-error maxAge is milliseconds or a duration string
serveStatic('./public', { maxAge: true });

export default app;
