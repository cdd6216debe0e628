import { ENVELOPE_STATE } from '@koa-kit/common';
import { errors } from '@koa-kit/errors';
import { listen } from '@koa-kit/testing';
import createError from 'http-errors';
import Koa from 'koa';
import { expect, test } from 'vitest';

// errors({ format: 'envelope' }) reads the state keys statusEnvelope() sets (issue 25); here they
// are set by hand, so this side holds without @koa-kit/status-envelope. The other side is
// packages/status-envelope/test/envelope-state.test.ts.
async function envelopeOf404(state: Record<string, unknown>) {
  const app = new Koa();
  app.use(errors({ format: 'envelope' }));
  app.use((ctx) => {
    Object.assign(ctx.state, state);
    throw createError(404, 'No such order', { code: 'ORDER_NOT_FOUND' });
  });
  const server = await listen(app);
  try {
    const res = await fetch(`${server.url}/`);
    return { status: res.status, body: (await res.json()) as { code: number; message: string; detail: string } };
  } finally {
    await server.close();
  }
}

test('without the keys: the real status, the code as it is, the HTTP title as message', async () => {
  expect(await envelopeOf404({})).toEqual({
    status: 404,
    body: expect.objectContaining({ code: 404, message: 'Not Found', detail: 'No such order' }),
  });
});

test('reads httpStatus, codeBase and messages under the ENVELOPE_STATE keys', async () => {
  const res = await envelopeOf404({
    [ENVELOPE_STATE.httpStatus]: 'always-200',
    [ENVELOPE_STATE.codeBase]: 100_000,
    [ENVELOPE_STATE.messages]: new Map([[404, 'Nothing here']]),
  });
  expect(res).toEqual({ status: 200, body: expect.objectContaining({ code: 100_404, message: 'Nothing here' }) });
});

test('ignores values of the wrong type under those keys', async () => {
  const res = await envelopeOf404({
    [ENVELOPE_STATE.httpStatus]: true,
    [ENVELOPE_STATE.codeBase]: '100000',
    [ENVELOPE_STATE.messages]: { 404: 'Nothing here' },
  });
  expect(res).toEqual({ status: 404, body: expect.objectContaining({ code: 404, message: 'Not Found' }) });
});
