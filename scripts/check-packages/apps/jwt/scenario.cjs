'use strict';
// @koa-kit/jwt as a user runs it: tokens made with sign(), checked by jwt(), scopes by requireScope().

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';

module.exports = {
  imports: ['jwt', 'requireScope', 'sign', 'TOKEN_ERRORS'],

  setup({ jwt, requireScope }, { Koa }) {
    const app = new Koa();
    const admin = requireScope('admin');
    app.use(jwt({ secret: SECRET, algorithms: ['HS256'], issuer: 'kit-check' }));
    app.use(async (ctx, next) => (ctx.path === '/admin' ? admin(ctx, next) : next()));
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.user.sub, alg: ctx.state.jwt.header.alg };
    });
    return app;
  },

  async check(url, { assert, kit }) {
    const { sign, TOKEN_ERRORS } = kit;
    const bearer = (token) => ({ authorization: `Bearer ${token}` });

    const none = await fetch(`${url}/`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="api"');
    assert.equal(await none.text(), TOKEN_ERRORS.TOKEN_MISSING);

    const expired = sign({ sub: 'alice' }, SECRET, { algorithm: 'HS256', issuer: 'kit-check', expiresIn: -60 });
    const old = await fetch(`${url}/`, { headers: bearer(expired) });
    assert.equal(old.status, 401);
    assert.match(old.headers.get('www-authenticate'), /error="invalid_token"/);
    assert.equal(await old.text(), TOKEN_ERRORS.TOKEN_EXPIRED);

    const forged = sign({ sub: 'alice' }, 'another-secret-that-is-32-bytes-long!!', {
      algorithm: 'HS256',
      issuer: 'kit-check',
    });
    assert.equal((await fetch(`${url}/`, { headers: bearer(forged) })).status, 401);

    const token = sign({ sub: 'alice', scope: 'read' }, SECRET, { algorithm: 'HS256', issuer: 'kit-check' });
    const ok = await fetch(`${url}/`, { headers: bearer(token) });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { sub: 'alice', alg: 'HS256' });

    const denied = await fetch(`${url}/admin`, { headers: bearer(token) });
    assert.equal(denied.status, 403);
    assert.match(denied.headers.get('www-authenticate'), /error="insufficient_scope"/);

    const adminToken = sign({ sub: 'root', scope: 'read admin' }, SECRET, { algorithm: 'HS256', issuer: 'kit-check' });
    const allowed = await fetch(`${url}/admin`, { headers: bearer(adminToken) });
    assert.equal(allowed.status, 200);
    assert.equal((await allowed.json()).sub, 'root');
  },
};
