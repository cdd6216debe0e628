// The reference for uploads: Koa, and the request body piped to a file with a plain stream.
// PUT /upload/<anything> -> 201 { bytes }, the body written to a random file under scratchDir.
// No parsing, no limits, no checks: the floor every upload middleware is measured against.
// options.loadUploadPackage: load @koa-kit/upload first (same heap as the upload servers).
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import Koa from 'koa';

export default async function plainUpload({ scratchDir, loadUploadPackage = false }) {
  // With loadUploadPackage, @koa-kit/upload and its dependencies (multer, @tus/server) are loaded
  // but not used: the process then has the heap the upload servers have, and V8 collects it the
  // same way (measured: a bigger old generation turns 32 scavenges per GiB into 36 mark-compacts,
  // and a plain pipe drops from ~770 to ~500 MB/s), so the ratio isolates the middleware.
  if (loadUploadPackage) await import('@koa-kit/upload');
  const app = new Koa();
  app.use(async function plainStreamToDisk(ctx) {
    if (ctx.method !== 'PUT' || !ctx.path.startsWith('/upload/')) return;
    const file = path.join(scratchDir, randomUUID());
    await pipeline(ctx.req, createWriteStream(file));
    ctx.status = 201;
    ctx.body = { bytes: (await stat(file)).size };
  });
  return app.callback();
}
