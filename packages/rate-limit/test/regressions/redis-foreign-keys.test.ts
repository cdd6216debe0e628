import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, type Listening, listen, redisForTests } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeApp } from '../helpers.js';

const url = await redisForTests();
const prefix = `kk-rate-limit-foreign-${randomUUID()}`;

describe.skipIf(!url)('redis driver: a key of another shape affects only its own client', () => {
  let db: Redis;
  let http: Listening | undefined;
  beforeAll(() => {
    db = new Redis(url!);
  });
  afterEach(async () => {
    await http?.close();
    http = undefined;
    const keys = await db.keys(`${prefix}*`);
    if (keys.length > 0) await db.del(...keys);
  });
  afterAll(() => db.disconnect());

  const statusFor = async (client: string): Promise<number> => {
    const res = await fetch(http!.url, { headers: { 'x-client': client } });
    await res.arrayBuffer();
    return res.status;
  };

  it("koa-ratelimit's sorted set at <namespace>:<id> (a rolling migration) does not collide with our key", async () => {
    const namespace = `${prefix}-migrate`;
    // What koa-ratelimit 6 (async-ratelimiter) keeps for a client: a sorted set of timestamps.
    await db.zadd(`${namespace}:old-client`, Date.now(), `${Date.now()}`);
    const { app } = makeApp(rateLimit({ db, max: 2, duration: '1m', namespace, id: (ctx) => ctx.get('x-client') }));
    const errors = collectAppErrors(app);
    http = await listen(app);
    expect([await statusFor('old-client'), await statusFor('old-client'), await statusFor('old-client')]).toEqual([
      200, 200, 429,
    ]);
    expect(await db.type(`${namespace}:old-client`)).toBe('zset');
    expect(errors.take().filter((e) => (e as { code?: string }).code !== 'RATE_LIMITED')).toEqual([]);
  });

  it('sliding window: a key of another type fails only its client too', async () => {
    const ns = `${prefix}-sliding`;
    const { app } = makeApp(
      rateLimit({
        db,
        max: 2,
        duration: '1m',
        namespace: ns,
        algorithm: 'sliding-window',
        onStoreError: 'deny',
        id: (ctx) => ctx.get('x-client'),
      }),
    );
    const errors = collectAppErrors(app);
    http = await listen(app);
    await statusFor('bad');
    const [ours] = await db.keys(`${ns}*`);
    expect(await db.type(ours!)).toBe('hash');
    await db.set(ours!, 'not a hash');
    const statuses = await Promise.all(['bad', 'good', 'good', 'good'].map(statusFor));
    expect(statuses[0]).toBe(503);
    expect(statuses.slice(1).sort()).toEqual([200, 200, 429]);
    expect(errors.take().filter((e) => (e as { code?: string }).code === 'RATE_LIMIT_STORE_ERROR').length).toBe(1);
  });

  it('a WRONGTYPE key fails only its client (onStoreError answer), others stay limited, in one batch too', async () => {
    const namespace = `${prefix}-wrongtype`;
    for (const onStoreError of ['allow', 'deny'] as const) {
      const ns = `${namespace}-${onStoreError}`;
      const { app } = makeApp(
        rateLimit({ db, max: 2, duration: '1m', namespace: ns, onStoreError, id: (ctx) => ctx.get('x-client') }),
      );
      const errors = collectAppErrors(app);
      http = await listen(app);
      // Find our key for "bad" by counting once, then put a value of another type there.
      await statusFor('bad');
      const [ours] = await db.keys(`${ns}*`);
      expect(ours).toBeDefined();
      await db.del(ours!);
      await db.zadd(ours!, 1, 'x');

      const expectedBad = onStoreError === 'allow' ? 200 : 503;
      expect(await statusFor('bad')).toBe(expectedBad);
      // Sequential: the failure did not switch the store off for everyone.
      expect([await statusFor('good'), await statusFor('good'), await statusFor('good')]).toEqual([200, 200, 429]);
      // Concurrent (one script call for all of them): still only the bad client fails.
      const statuses = await Promise.all(['bad', 'other', 'other', 'other', 'bad'].map(statusFor));
      expect(statuses.filter((s) => s === expectedBad).length).toBeGreaterThanOrEqual(2);
      expect([statuses[1], statuses[2], statuses[3]].sort()).toEqual([200, 200, 429]);
      expect(statuses.includes(500)).toBe(false);
      const emitted = errors.take().filter((e) => (e as { code?: string }).code === 'RATE_LIMIT_STORE_ERROR');
      expect(emitted.length).toBeLessThanOrEqual(1);
      await http.close();
      http = undefined;
    }
  });
});
