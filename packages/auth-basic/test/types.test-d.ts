// Compile-time checks, run by `npx tsc -p tsconfig.json --noEmit` (the repository typecheck).
import { basicAuth } from '@koa-kit/auth-basic';
import Koa from 'koa';

const app = new Koa();
app.use(basicAuth({ users: { alice: 'secret' } }));
app.use(basicAuth({ validate: async (name) => ({ name, id: 7 }) }));
app.use((ctx) => {
  const name: unknown = ctx.state.user?.name;
  ctx.body = { name };
  // @ts-expect-error ctx.state.user is an object, not a string
  ctx.state.user = 'alice';
});

// @ts-expect-error the password must be a string
basicAuth({ users: { alice: 1 } });
// @ts-expect-error proxy is a boolean
basicAuth({ users: { a: 'b' }, proxy: 'yes' });
