import path from 'node:path';
import { Router } from '@koa/router';
import { errors } from '@koa-kit/errors';
import { jwt, requireScope } from '@koa-kit/jwt';
import { rangeDownload, sendFile } from '@koa-kit/range-download';
import Koa from 'koa';

export function createApp(secret: string, filesDir: string): Koa {
  const app = new Koa();
  app.use(errors());
  // Above the route: it answers Range and If-Range for whatever file body the route sets.
  app.use(rangeDownload());

  const router = new Router();
  router.get(
    '/files/:name',
    // A plain <a href> cannot send an Authorization header: accept the token from a cookie too.
    jwt({ secret, algorithms: ['HS256'], cookie: 'token' }),
    requireScope('files:read'),
    async (ctx) => {
      const name = path.basename(ctx.params.name ?? '');
      if (!name || name.startsWith('.')) ctx.throw(404, 'No such file', { code: 'FILE_NOT_FOUND' });
      // sendFile() sets the length, ETag, Last-Modified and an RFC 6266 Content-Disposition,
      // and throws a 404 when the file does not exist.
      await sendFile(ctx, path.join(filesDir, name), { filename: name });
    },
  );
  app.use(router.routes());
  return app;
}
