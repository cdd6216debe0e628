'use strict';
// @koa-kit/upload as a user runs it: a multipart form to disk, and a resumable tus 1.0 upload.
const fs = require('node:fs');
const path = require('node:path');

module.exports = {
  imports: ['upload', 'resumableUpload', 'UploadErrorCode'],

  setup({ upload, resumableUpload }, { Koa, dir }) {
    const app = new Koa();
    const form = upload({ dest: path.join(dir, 'forms'), single: 'doc', limits: { fileSize: 1024 } });
    app.use(resumableUpload({ path: '/files', directory: path.join(dir, 'tus') }));
    app.use(async (ctx, next) => {
      if (ctx.path !== '/upload') return next();
      await form(ctx, async () => {
        const file = ctx.request.file;
        ctx.body = {
          title: ctx.request.body.title,
          name: file.originalname,
          size: file.size,
          content: fs.readFileSync(file.path, 'utf8'),
          inState: ctx.state.upload.files.length,
        };
      });
    });
    return app;
  },

  async check(url, { assert, kit }) {
    const form = new FormData();
    form.append('title', 'quarterly');
    form.append('doc', new Blob(['hello multipart'], { type: 'text/plain' }), 'résumé.txt');
    const sent = await fetch(`${url}/upload`, { method: 'POST', body: form });
    assert.equal(sent.status, 200);
    assert.deepEqual(await sent.json(), {
      title: 'quarterly',
      name: 'résumé.txt',
      size: 15,
      content: 'hello multipart',
      inState: 1,
    });

    const big = new FormData();
    big.append('doc', new Blob([Buffer.alloc(4096, 'x')]), 'big.bin');
    const refused = await fetch(`${url}/upload`, { method: 'POST', body: big });
    assert.equal(refused.status, 413);
    assert.equal(kit.UploadErrorCode.fileTooLarge, 'FILE_TOO_LARGE');

    const tus = { 'tus-resumable': '1.0.0' };
    const noVersion = await fetch(`${url}/files`, { method: 'POST', headers: { 'upload-length': '11' } });
    assert.equal(noVersion.status, 412);
    assert.equal(noVersion.headers.get('tus-resumable'), '1.0.0');

    const created = await fetch(`${url}/files`, { method: 'POST', headers: { ...tus, 'upload-length': '11' } });
    assert.equal(created.status, 201);
    const location = new URL(created.headers.get('location'), url).href;
    const patch = (offset, body) =>
      fetch(location, {
        method: 'PATCH',
        headers: { ...tus, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
        body,
      });
    const first = await patch(0, 'hello ');
    assert.equal(first.status, 204);
    assert.equal(first.headers.get('upload-offset'), '6');
    const head = await fetch(location, { method: 'HEAD', headers: tus });
    assert.equal(head.headers.get('upload-offset'), '6');
    const conflict = await patch(0, 'again');
    assert.equal(conflict.status, 409);
    const last = await patch(6, 'world');
    assert.equal(last.status, 204);
    assert.equal(last.headers.get('upload-offset'), '11');
  },
};
