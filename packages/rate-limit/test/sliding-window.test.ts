import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import { type AppErrors, collectAppErrors, type Listening, listen, redisForTests } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import type Koa from 'koa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assertOnlyRefusals, burst, count, makeApp, sleep } from './helpers.js';

const url = await redisForTests();
const prefix = `kk-rate-limit-sliding-${randomUUID()}`;
let seq = 0;

let servers: Listening[] = [];
let errors: AppErrors[] = [];
const clients: Redis[] = [];

async function serve(app: Koa): Promise<string> {
  errors.push(collectAppErrors(app));
  const s = await listen(app);
  servers.push(s);
  return s.url;
}

afterEach(async () => {
  for (const s of servers) await s.close();
  for (const e of errors) assertOnlyRefusals(e.take());
  servers = [];
  errors = [];
});

afterAll(() => {
  for (const c of clients) c.disconnect();
});

function redis(): Redis {
  const c = new Redis(url!);
  clients.push(c);
  return c;
}

/** Waits until the wall clock is between `from` and `to` ms into a window of `duration` (windows are aligned). */
async function phase(duration: number, from: number, to: number): Promise<void> {
  for (;;) {
    const at = Date.now() % duration;
    if (at >= from && at < to) return;
    await sleep(at < from ? Math.min(from - at, 20) : 10);
  }
}

async function get(target: string): Promise<{ status: number; retryAfter: string | null }> {
  const res = await fetch(target);
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

const drivers = [
  ['memory', () => ({})],
  ['redis', () => ({ db: redis(), namespace: `${prefix}-${++seq}` })],
] as const;

describe.each(drivers)('sliding window (%s driver)', (driver, store) => {
  const skip = driver === 'redis' && !url;

  it.skipIf(skip)(
    'max at the end of a window leaves no new max at the start of the next',
    async () => {
      const duration = 2000;
      const { app } = makeApp(rateLimit({ ...store(), max: 3, duration, algorithm: 'sliding-window' }));
      const target = await serve(app);
      await phase(duration, 1650, 1750);
      const end: number[] = [];
      for (let i = 0; i < 4; i++) end.push((await get(target)).status);
      expect(end).toEqual([200, 200, 200, 429]);

      // Just after the boundary the previous window still weighs about 2.7 of 3: nothing passes.
      await phase(duration, 100, 300);
      const start = [await get(target), await get(target), await get(target)];
      expect(start.map((r) => r.status)).toEqual([429, 429, 429]);
      expect(start[0]!.retryAfter).toBe('1'); // one passes again a third of the way in

      // Halfway into the window the previous one weighs 1.5: exactly one more passes.
      await phase(duration, 900, 1100);
      const middle: number[] = [];
      for (let i = 0; i < 3; i++) middle.push((await get(target)).status);
      expect(middle).toEqual([200, 429, 429]);
    },
    20_000,
  );

  it.skipIf(skip)('admits exactly max of 10 x max concurrent requests, over two app instances', async () => {
    const options = { ...store(), max: 7, duration: '1m', algorithm: 'sliding-window' as const };
    const a = makeApp(rateLimit(options));
    const b = makeApp(rateLimit(driver === 'redis' ? { ...options, db: redis() } : options));
    const urls = [await serve(a.app), await serve(b.app)];
    // With the memory driver each instance counts on its own: one instance, exactly max.
    const statuses = await burst(driver === 'redis' ? urls : [urls[0]!], 70);
    expect(count(statuses, 200)).toBe(7);
    expect(count(statuses, 429)).toBe(63);
  });
});

describe('sliding window: options', () => {
  it('refuses an unknown algorithm', () => {
    expect(() => rateLimit({ algorithm: 'token-bucket' as never })).toThrow('"algorithm"');
  });
});
