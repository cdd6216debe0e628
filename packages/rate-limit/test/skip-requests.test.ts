import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, type Listening, listen, redisForTests } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assertOnlyRefusals } from './helpers.js';

const url = await redisForTests();
const prefix = `kk-rate-limit-skip-${randomUUID()}`;
let seq = 0;
const db = url ? new Redis(url) : undefined;
afterAll(() => db?.disconnect());

let server: Listening | undefined;
let appErrors: ReturnType<typeof collectAppErrors> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  // A failure thrown downstream (500 below) is an app error of the test's own making.
  if (appErrors) assertOnlyRefusals(appErrors.take().filter((e) => (e as { status?: number }).status !== 500));
});

/** An app that answers 200, 401 (x-outcome: denied) or throws a 500 (x-outcome: crash) behind the limiter. */
async function serve(limiter: Koa.Middleware): Promise<(outcome?: string) => Promise<number>> {
  const app = new Koa();
  app.use(limiter);
  app.use((ctx) => {
    const outcome = ctx.get('x-outcome');
    if (outcome === 'crash') throw new Error('downstream failure');
    ctx.status = outcome === 'denied' ? 401 : 200;
    ctx.body = 'done';
  });
  appErrors = collectAppErrors(app);
  server = await listen(app);
  const target = server.url;
  return async (outcome = 'ok') => {
    const res = await fetch(target, { headers: { 'x-outcome': outcome } });
    await res.arrayBuffer();
    return res.status;
  };
}

const cases = [
  ['memory', 'fixed-window'],
  ['memory', 'sliding-window'],
  ['redis', 'fixed-window'],
  ['redis', 'sliding-window'],
] as const;

describe.each(cases)('skipFailedRequests / skipSuccessfulRequests (%s, %s)', (driver, algorithm) => {
  const skip = driver === 'redis' && !db;
  const store = () => (driver === 'redis' ? { db, namespace: `${prefix}-${++seq}` } : {});

  it.skipIf(skip)('skipFailedRequests: 401s and thrown errors are taken back, successes count', async () => {
    const send = await serve(rateLimit({ ...store(), algorithm, max: 2, duration: '1m', skipFailedRequests: true }));
    const failed: number[] = [];
    for (let i = 0; i < 4; i++) failed.push(await send('denied'));
    failed.push(await send('crash'));
    expect(failed).toEqual([401, 401, 401, 401, 500]);
    expect([await send(), await send(), await send()]).toEqual([200, 200, 429]);
  });

  it.skipIf(skip)('skipSuccessfulRequests: only failures count (a login limit)', async () => {
    const send = await serve(
      rateLimit({ ...store(), algorithm, max: 2, duration: '1m', skipSuccessfulRequests: true }),
    );
    const ok: number[] = [];
    for (let i = 0; i < 5; i++) ok.push(await send());
    expect(ok).toEqual([200, 200, 200, 200, 200]);
    expect([await send('denied'), await send('denied'), await send('denied'), await send()]).toEqual([
      401, 401, 429, 429,
    ]);
  });
});

describe('skip options', () => {
  it('must be booleans', () => {
    expect(() => rateLimit({ skipFailedRequests: 'yes' as never })).toThrow('"skipFailedRequests"');
    expect(() => rateLimit({ skipSuccessfulRequests: 1 as never })).toThrow('"skipSuccessfulRequests"');
  });
});
