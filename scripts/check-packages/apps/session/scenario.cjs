'use strict';
// @koa-kit/session as a user runs it: an encrypted cookie session across requests.

function cookieHeader(res) {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

module.exports = {
  imports: ['session', 'memoryStore', 'redisStore'],

  setup({ session }, { Koa }) {
    const app = new Koa();
    app.keys = ['a-signing-key-for-the-kit-check-app-0123456789'];
    app.use(session());
    app.use((ctx) => {
      if (ctx.path === '/login') {
        ctx.session.user = 'alice-in-wonderland';
        ctx.body = { ok: true };
      } else {
        ctx.body = { user: ctx.session.user ?? null, isNew: ctx.session.isNew };
      }
    });
    return app;
  },

  async check(url, { assert, kit }) {
    const store = kit.memoryStore({ max: 10 });
    for (const m of ['get', 'set', 'destroy']) assert.equal(typeof store[m], 'function', `memoryStore().${m}`);

    const anonymous = await fetch(`${url}/me`);
    assert.equal(anonymous.status, 200);
    assert.deepEqual(await anonymous.json(), { user: null, isNew: true });

    const login = await fetch(`${url}/login`);
    assert.equal(login.status, 200);
    const setCookies = login.headers.getSetCookie();
    const main = setCookies.find((c) => c.startsWith('koa.sess='));
    assert.ok(main, `a koa.sess cookie is set (got ${setCookies.join(' | ')})`);
    assert.match(main, /httponly/i);
    assert.match(main, /samesite=lax/i);
    const value = main.split(';')[0].slice('koa.sess='.length);
    for (const shown of [value, Buffer.from(decodeURIComponent(value), 'base64').toString('latin1')]) {
      assert.doesNotMatch(shown, /alice/, 'the cookie is encrypted');
    }

    const cookie = cookieHeader(login);
    const me = await fetch(`${url}/me`, { headers: { cookie } });
    assert.deepEqual(await me.json(), { user: 'alice-in-wonderland', isNew: false });

    const tampered = cookie.replace(/koa\.sess=([^;]{4})/, (_, v) => `koa.sess=${v.split('').reverse().join('')}`);
    const forged = await fetch(`${url}/me`, { headers: { cookie: tampered } });
    assert.ok(
      forged.status === 200 || forged.status === 400,
      `a tampered cookie is refused or ignored (${forged.status})`,
    );
    if (forged.status === 200) assert.equal((await forged.json()).user, null);
  },
};
