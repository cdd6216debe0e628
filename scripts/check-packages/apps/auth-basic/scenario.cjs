'use strict';
// @koa-kit/auth-basic as a user runs it: a route behind basicAuth, Koa's own error handler.

const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

module.exports = {
  imports: ['basicAuth', 'DEFAULT_REALM'],

  setup({ basicAuth }, { Koa }) {
    const app = new Koa();
    app.use(basicAuth({ users: { alice: 'wonderland' }, realm: 'kit check' }));
    app.use((ctx) => {
      ctx.body = { user: ctx.state.user };
    });
    return app;
  },

  async check(url, { assert, kit }) {
    assert.equal(kit.DEFAULT_REALM, 'Restricted');

    const none = await fetch(`${url}/`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate'), /^Basic realm="kit check"/);
    assert.equal(await none.text(), 'Authentication required');

    const wrong = await fetch(`${url}/`, { headers: { authorization: basic('alice', 'nope') } });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate'), /^Basic /);

    const ok = await fetch(`${url}/`, { headers: { authorization: basic('alice', 'wonderland') } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { user: { name: 'alice' } });
  },
};
