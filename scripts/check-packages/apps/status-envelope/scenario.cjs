'use strict';
// @koa-kit/status-envelope as a user runs it: JSON bodies enveloped, a failing upstream as 504.

module.exports = {
  imports: ['statusEnvelope', 'codes', 'thirdPartyError'],
  // /upstream answers 504 on purpose; check() asserts what the client sees.
  expectServerErrors: true,

  setup({ statusEnvelope, thirdPartyError, codes }, { Koa }) {
    const app = new Koa();
    app.use(statusEnvelope());
    app.use((ctx) => {
      if (ctx.path === '/items') {
        ctx.state.envelope = { pageInfo: { total: 2, offset: 0, size: 10 } };
        ctx.body = [{ id: 1 }, { id: 2 }];
      } else if (ctx.path === '/created') {
        ctx.status = 201;
        ctx.body = { id: 3 };
      } else if (ctx.path === '/text') {
        ctx.body = 'plain text stays plain';
      } else if (ctx.path === '/upstream') {
        throw thirdPartyError(codes.HTTP_604_THIRD_PARTY_TIMEOUT_ERROR, 'billing service timed out');
      }
    });
    return app;
  },

  async check(url, { assert, kit }) {
    assert.equal(kit.codes.HTTP_404_NOT_FOUND.code, 404);

    const items = await fetch(`${url}/items`);
    assert.equal(items.status, 200);
    assert.deepEqual(await items.json(), {
      code: 200,
      message: '',
      detail: '',
      data: [{ id: 1 }, { id: 2 }],
      pageInfo: { total: 2, offset: 0, size: 10 },
    });

    const created = await fetch(`${url}/created`);
    assert.equal(created.status, 201);
    assert.deepEqual(await created.json(), { code: 201, message: '', detail: '', data: { id: 3 } });

    const text = await fetch(`${url}/text`);
    assert.equal(await text.text(), 'plain text stays plain');

    const upstream = await fetch(`${url}/upstream`);
    assert.equal(upstream.status, 504);
    assert.doesNotMatch(await upstream.text(), /billing/);

    const err = kit.thirdPartyError(603, 'down', { headers: { 'Retry-After': '30' } });
    assert.equal(err.status, 503);
    assert.equal(err.envelopeCode, 603);
    assert.equal(err.code, 'THIRD_PARTY_UNAVAILABLE_ERROR');
    assert.equal(err.expose, false);
  },
};
