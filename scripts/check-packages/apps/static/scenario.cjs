'use strict';
// @koa-kit/static as a user runs it: a public folder with a dotfile that must stay private.
const fs = require('node:fs');
const path = require('node:path');

module.exports = {
  imports: ['serveStatic'],

  setup({ serveStatic }, { Koa, dir }) {
    const root = path.join(dir, 'public');
    fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
    fs.writeFileSync(path.join(root, 'hello.txt'), 'hello from the tarball\n');
    fs.writeFileSync(path.join(root, 'docs', 'index.html'), '<h1>docs</h1>\n');
    fs.writeFileSync(path.join(root, '.env'), 'SECRET=1\n');
    fs.writeFileSync(path.join(dir, 'outside.txt'), 'outside root\n');
    const app = new Koa();
    app.use(async (ctx, next) => {
      await next();
      if (ctx.state.static) ctx.set('X-Served', ctx.state.static.relativePath);
    });
    app.use(serveStatic(root, { maxAge: 60_000 }));
    return app;
  },

  async check(url, { assert }) {
    const hello = await fetch(`${url}/hello.txt`);
    assert.equal(hello.status, 200);
    assert.equal(await hello.text(), 'hello from the tarball\n');
    assert.match(hello.headers.get('content-type'), /^text\/plain/);
    assert.equal(hello.headers.get('x-served'), '/hello.txt');
    assert.match(hello.headers.get('cache-control'), /max-age=60\b/);
    const etag = hello.headers.get('etag');
    assert.ok(etag, 'an ETag is sent');

    const again = await fetch(`${url}/hello.txt`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);

    const index = await fetch(`${url}/docs/`);
    assert.equal(index.status, 200);
    assert.equal(await index.text(), '<h1>docs</h1>\n');

    const dotfile = await fetch(`${url}/.env`);
    assert.equal(dotfile.status, 404);
    assert.doesNotMatch(await dotfile.text(), /SECRET/);

    for (const p of ['/..%2foutside.txt', '/%2e%2e/outside.txt', '/docs/..%2f..%2foutside.txt']) {
      const res = await fetch(`${url}${p}`);
      assert.ok(res.status >= 400 && res.status < 500, `${p} is refused (got ${res.status})`);
      assert.doesNotMatch(await res.text(), /outside root/);
    }
  },
};
