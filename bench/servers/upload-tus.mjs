// resumableUpload(): tus 1.0 at /files, uploads stored in scratchDir.

import { resumableUpload } from '@koa-kit/upload';
import Koa from 'koa';

export default async function uploadTus({ scratchDir }) {
  const app = new Koa();
  app.use(resumableUpload({ path: '/files', directory: scratchDir, maxSize: 4 * 1024 * 1024 * 1024 }));
  return app.callback();
}
