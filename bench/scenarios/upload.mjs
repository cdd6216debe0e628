// @koa-kit/upload: a 1 GiB multipart upload and a 1 GiB tus upload, as a ratio of curl -T to Koa
// piping the body to a file, with the server's peak RSS. The goal is measured against the plain
// server with the same modules loaded ("..., upload package loaded": same heap, same GC); the
// ratio to the minimal plain server is reported beside it.
import { bigFile } from './reference.mjs';

export default [
  {
    name: 'upload: multipart 1 GiB',
    kind: 'throughput',
    reference: 'plain stream 1 GiB upload, upload package loaded',
    goal: 0.8,
    maxPeakRssMb: 150,
    estimateS: 6,
    note: 'upload({ single }) to disk, curl -F',
    run: async (ctx) => {
      const { path, size } = await bigFile(ctx);
      const server = await ctx.server('upload-multipart.mjs');
      const r = await ctx.upload(`${server.url}/upload`, path, {
        method: 'POST',
        form: { field: 'file' },
        expectStatus: 201,
      });
      if (JSON.parse(r.body).bytes !== size) throw new Error(`the server stored ${r.body}, expected ${size} bytes`);
      return { value: r.mbPerS, unit: 'MB/s' };
    },
  },
  {
    name: 'upload: tus 1 GiB',
    kind: 'throughput',
    reference: 'plain stream 1 GiB upload, upload package loaded',
    goal: 0.8,
    maxPeakRssMb: 150,
    estimateS: 6,
    note: 'resumableUpload(), one PATCH with curl',
    run: async (ctx) => {
      const { path, size } = await bigFile(ctx);
      const server = await ctx.server('upload-tus.mjs');
      const created = await fetch(`${server.url}/files`, {
        method: 'POST',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size) },
      });
      if (created.status !== 201) throw new Error(`tus creation answered ${created.status}`);
      const location = created.headers.get('location');
      const r = await ctx.upload(location, path, {
        method: 'PATCH',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
        expectStatus: 204,
      });
      const head = await fetch(location, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
      if (head.headers.get('upload-offset') !== String(size)) {
        throw new Error(`the server has ${head.headers.get('upload-offset')} bytes, expected ${size}`);
      }
      return { value: r.mbPerS, unit: 'MB/s' };
    },
  },
  {
    name: 'upload: multipart 1 GiB vs minimal plain stream',
    kind: 'ratio',
    of: 'upload: multipart 1 GiB',
    reference: 'plain stream 1 GiB upload',
    note: 'the reference process without @koa-kit/upload loaded (smaller heap)',
  },
  {
    name: 'upload: tus 1 GiB vs minimal plain stream',
    kind: 'ratio',
    of: 'upload: tus 1 GiB',
    reference: 'plain stream 1 GiB upload',
    note: 'idem',
  },
];
