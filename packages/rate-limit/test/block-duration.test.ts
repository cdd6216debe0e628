import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, type Listening, listen, redisForTests } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assertOnlyRefusals, makeApp, sleep } from './helpers.js';

const url = await redisForTests();
const prefix = `kk-rate-limit-block-${randomUUID()}`;
let seq = 0;
const db = url ? new Redis(url) : undefined;
afterAll(() => db?.disconnect());

let server: Listening | undefined;
let appErrors: ReturnType<typeof collectAppErrors> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (appErrors) assertOnlyRefusals(appErrors.take());
});

const cases = [
  ['memory', 'fixed-window'],
  ['memory', 'sliding-window'],
  ['redis', 'fixed-window'],
  ['redis', 'sliding-window'],
] as const;

describe.each(cases)('blockDuration (%s, %s)', (driver, algorithm) => {
  const skip = driver === 'redis' && !db;
  const store = () => (driver === 'redis' ? { db, namespace: `${prefix}-${++seq}` } : {});

  it.skipIf(skip)('a client over the limit stays refused after its window ends, until the block ends', async () => {
    const { app } = makeApp(rateLimit({ ...store(), algorithm, max: 2, duration: 300, blockDuration: 1500 }));
    appErrors = collectAppErrors(app);
    server = await listen(app);
    const get = async () => {
      const res = await fetch(server!.url);
      await res.arrayBuffer();
      return { status: res.status, retryAfter: Number(res.headers.get('retry-after')) };
    };
    const first = [await get(), await get(), await get()];
    const blockedAt = Date.now();
    expect(first.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(first[2]!.retryAfter).toBe(2); // 1.5 s, rounded up
    await sleep(700); // two windows later: without the block it would pass
    const during = await get();
    expect(during.status).toBe(429);
    expect(during.retryAfter).toBe(1);
    await sleep(Math.max(0, blockedAt + 1700 - Date.now()));
    expect((await get()).status).toBe(200);
  });
});

describe('blockDuration option', () => {
  it('must be a duration of at least "duration"', () => {
    expect(() => rateLimit({ duration: '1m', blockDuration: '30s' })).toThrow('"blockDuration"');
    expect(() => rateLimit({ blockDuration: 'forever' })).toThrow('"blockDuration"');
    expect(() => rateLimit({ duration: '1m', blockDuration: '15m' })).not.toThrow();
  });
});
