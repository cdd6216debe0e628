// upload(): POST /upload multipart, one file field "file" written to scratchDir, removed after the response.

import { handleExpectContinue, upload } from '@koa-kit/upload';
import Koa from 'koa';

export default async function uploadMultipart({ scratchDir }) {
  const app = new Koa();
  app.use(upload({ dest: scratchDir, single: 'file', limits: { fileSize: 4 * 1024 * 1024 * 1024 } }));
  app.use((ctx) => {
    ctx.status = 201;
    ctx.body = { bytes: ctx.request.file?.size ?? 0 };
  });
  return { listener: app.callback(), setup: (server) => handleExpectContinue(server, app) };
}
