import { ENVELOPE_STATE } from '@koa-kit/common';
import { statusEnvelope } from '@koa-kit/status-envelope';
import { listen } from '@koa-kit/testing';
import Koa from 'koa';
import { expect, test } from 'vitest';

// The state keys statusEnvelope() publishes for errors({ format: 'envelope' }) (issue 25): the
// errors side of this contract is packages/errors/test/envelope-state.test.ts.
async function stateSeenBelow(options: Parameters<typeof statusEnvelope>[0]) {
  const app = new Koa();
  app.use(statusEnvelope(options));
  let seen: Record<string, unknown> = {};
  app.use((ctx) => {
    seen = Object.fromEntries(Object.values(ENVELOPE_STATE).map((key) => [key, ctx.state[key]]));
    ctx.body = { ok: true };
  });
  const server = await listen(app);
  try {
    expect((await fetch(`${server.url}/`)).status).toBe(200);
  } finally {
    await server.close();
  }
  return seen;
}

test('names the three keys errors() reads', () => {
  expect(ENVELOPE_STATE).toEqual({
    httpStatus: 'envelopeHttpStatus',
    codeBase: 'envelopeCodeBase',
    messages: 'envelopeMessages',
  });
});

test('sets only the message table by default', async () => {
  const seen = await stateSeenBelow(undefined);
  expect(seen.envelopeHttpStatus).toBeUndefined();
  expect(seen.envelopeCodeBase).toBeUndefined();
  expect((seen.envelopeMessages as ReadonlyMap<number, string>).get(404)).toEqual(expect.any(String));
});

test('sets httpStatus, codeBase and the chosen messages under those keys', async () => {
  const seen = await stateSeenBelow({ httpStatus: 'always-200', codeBase: 100_000, messages: 'zh' });
  expect(seen.envelopeHttpStatus).toBe('always-200');
  expect(seen.envelopeCodeBase).toBe(100_000);
  const zh = (seen.envelopeMessages as ReadonlyMap<number, string>).get(404);
  expect(zh).toMatch(/[^\x00-\x7f]/);
});
