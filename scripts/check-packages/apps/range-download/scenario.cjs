'use strict';
// @koa-kit/range-download as a user runs it: sendFile() behind rangeDownload(), resumed downloads.
const fs = require('node:fs');
const path = require('node:path');

const CONTENT = Buffer.from(Array.from({ length: 1000 }, (_, i) => `${i % 10}`).join(''));

module.exports = {
  imports: ['rangeDownload', 'sendFile'],

  setup({ rangeDownload, sendFile }, { Koa, dir }) {
    const file = path.join(dir, 'report.txt');
    fs.writeFileSync(file, CONTENT);
    const app = new Koa();
    app.use(async (ctx, next) => {
      await next();
      if (ctx.state.range) ctx.set('X-Ranges', JSON.stringify(ctx.state.range));
    });
    app.use(rangeDownload());
    app.use(async (ctx) => {
      if (ctx.path === '/report') await sendFile(ctx, file, { filename: '报告 €.txt' });
      else if (ctx.path === '/buffer') ctx.body = Buffer.from('0123456789');
    });
    return app;
  },

  async check(url, { assert }) {
    const whole = await fetch(`${url}/report`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.match(
      whole.headers.get('content-disposition'),
      /^attachment;.*filename\*=UTF-8''%E6%8A%A5%E5%91%8A%20%E2%82%AC\.txt/,
    );
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(CONTENT));
    const etag = whole.headers.get('etag');

    const part = await fetch(`${url}/report`, { headers: { range: 'bytes=100-109', 'if-range': etag } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 100-109/1000');
    assert.equal(await part.text(), CONTENT.subarray(100, 110).toString());
    assert.deepEqual(JSON.parse(part.headers.get('x-ranges')), { size: 1000, ranges: [{ start: 100, end: 109 }] });

    const tail = await fetch(`${url}/buffer`, { headers: { range: 'bytes=-3' } });
    assert.equal(tail.status, 206);
    assert.equal(await tail.text(), '789');

    const outside = await fetch(`${url}/report`, { headers: { range: 'bytes=5000-6000' } });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get('content-range'), 'bytes */1000');
  },
};
