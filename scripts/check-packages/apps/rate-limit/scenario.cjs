'use strict';
// @koa-kit/rate-limit as a user runs it: the in-memory limiter, three requests a minute.

module.exports = {
  imports: ['rateLimit'],

  setup({ rateLimit }, { Koa }) {
    const app = new Koa();
    app.use(rateLimit({ max: 3, duration: '1m' }));
    app.use((ctx) => {
      ctx.body = { remaining: ctx.state.rateLimit.remaining };
    });
    return app;
  },

  async check(url, { assert }) {
    for (const remaining of [2, 1, 0]) {
      const res = await fetch(`${url}/`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-ratelimit-limit'), '3');
      assert.equal(res.headers.get('x-ratelimit-remaining'), String(remaining));
      assert.deepEqual(await res.json(), { remaining });
    }
    const refused = await fetch(`${url}/`);
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After is 1..60 seconds (got ${retryAfter})`);
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    assert.match(await refused.text(), /rate limit/i);
  },
};
