'use strict';
// @koa-kit/errors as a user runs it: one handler in front of routes that throw.

module.exports = {
  imports: ['errors'],
  // The 500 route makes Koa emit an error on purpose; check() asserts what the client sees.
  expectServerErrors: true,

  setup({ errors }, { Koa }) {
    const app = new Koa();
    app.use(errors());
    app.use((ctx) => {
      if (ctx.path === '/teapot')
        ctx.throw(418, 'Short and stout', { code: 'TEAPOT', headers: { 'Retry-After': '7' } });
      if (ctx.path === '/crash') throw new Error('connect ECONNREFUSED db-password=hunter2');
      if (ctx.path === '/ok') ctx.body = { ok: true };
    });
    return app;
  },

  async check(url, { assert }) {
    const teapot = await fetch(`${url}/teapot`, { headers: { accept: 'application/json' } });
    assert.equal(teapot.status, 418);
    assert.match(teapot.headers.get('content-type'), /^application\/problem\+json/);
    assert.equal(teapot.headers.get('retry-after'), '7');
    const problem = await teapot.json();
    assert.equal(problem.status, 418);
    assert.equal(problem.code, 'TEAPOT');
    assert.equal(problem.detail, 'Short and stout');

    const crash = await fetch(`${url}/crash`, { headers: { accept: 'text/html' } });
    assert.equal(crash.status, 500);
    assert.match(crash.headers.get('content-type'), /^text\/html/);
    const page = await crash.text();
    assert.doesNotMatch(page, /hunter2|ECONNREFUSED|at .*\.js/);

    const missing = await fetch(`${url}/nowhere`, { headers: { accept: 'text/plain' } });
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type'), /^text\/plain/);

    const ok = await fetch(`${url}/ok`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true });
  },
};
