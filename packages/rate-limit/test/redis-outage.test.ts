import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, type Listening, listen, type RedisServer, startRedisServer } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, sleep } from './helpers.js';

// A private redis-server this file can stop and start.
const server: RedisServer | null = await startRedisServer();
const namespace = `kk-rate-limit-outage-${randomUUID()}`;

async function timed(url: string): Promise<{ status: number; ms: number; retryAfter: string | null }> {
  const t0 = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0, retryAfter: res.headers.get('retry-after') };
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe.skipIf(!server)('redis driver: store outage', () => {
  let db: Redis;
  let http: Listening | undefined;
  let stopped = false;
  const stop = async () => {
    stopped = true;
    await server!.stop();
  };
  const start = async () => {
    await server!.start();
    stopped = false;
  };
  beforeAll(() => {
    // ioredis defaults: commands issued while disconnected would wait in its offline queue.
    db = new Redis(server!.url);
    db.on('error', () => undefined); // ECONNREFUSED while the server is down; the limiter reports it
  });
  afterEach(async () => {
    await http?.close();
    http = undefined;
    if (stopped) await start();
  });
  afterAll(async () => {
    db.disconnect();
    await server!.stop();
  });

  it("onStoreError 'allow' (default): requests pass quickly, one app error per outage, limiting resumes", async () => {
    const { app, ran } = makeApp(rateLimit({ db, max: 3, duration: '1m', namespace, storeTimeout: 200 }));
    const errors = collectAppErrors(app);
    http = await listen(app);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await timed(http.url)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    errors.take();

    await stop();
    // Once ioredis has seen the connection drop, so no command of ours is in flight (ioredis would
    // resend an unanswered one after reconnecting, and it would count in the new window).
    await until(() => db.status !== 'ready');
    const during: { status: number; ms: number }[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 1600) during.push(await timed(http.url));
    expect(during.every((r) => r.status === 200)).toBe(true);
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(1000);
    expect(during.length).toBeGreaterThan(5);
    // Requests during the outage were served while the limiter let them through.
    expect(ran()).toBe(3 + during.length);
    const outage = errors.take();
    expect(outage).toHaveLength(1);
    expect(outage[0]).toMatchObject({ code: 'RATE_LIMIT_STORE_ERROR', expose: false });
    expect((outage[0] as Error).message).toMatch(/^rate-limit store failed: /);

    await start();
    await until(() => db.status === 'ready');
    // After the 1 s pause that follows a failure, a request probes the store again. The restarted
    // Redis is empty (no count, no script cached): counting starts over, without restarting the app.
    await sleep(1100);
    const resumed: number[] = [];
    for (let i = 0; i < 4; i++) resumed.push((await timed(http.url)).status);
    expect(resumed).toEqual([200, 200, 200, 429]);
    expect(errors.take().filter((e) => (e as { code?: string }).code !== 'RATE_LIMITED')).toEqual([]);
  });

  it("onStoreError 'deny': a quick 503 RATE_LIMIT_UNAVAILABLE with Retry-After, nothing leaked", async () => {
    const { app, ran, caught } = makeApp(
      rateLimit({
        db,
        max: 3,
        duration: '1m',
        namespace: `${namespace}-deny`,
        onStoreError: 'deny',
        storeTimeout: 200,
      }),
    );
    const errors = collectAppErrors(app);
    http = await listen(app);
    expect((await timed(http.url)).status).toBe(200);

    await stop();
    const during = [];
    for (let i = 0; i < 10; i++) during.push(await timed(http.url));
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(503));
    expect(during.every((r) => r.retryAfter === '1')).toBe(true);
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(1000);
    expect(ran()).toBe(1);
    const err = caught() as unknown as { status: number; expose: boolean; code: string };
    expect(err).toMatchObject({ status: 503, expose: true, code: 'RATE_LIMIT_UNAVAILABLE' });
    const body = await (await fetch(http.url)).text();
    expect(body).toBe('Service Unavailable');
    const emitted = errors.take();
    expect(emitted.filter((e) => (e as { code?: string }).code === 'RATE_LIMIT_STORE_ERROR')).toHaveLength(1);

    await start();
    await until(() => db.status === 'ready');
    await until(async () => (await timed(http!.url)).status !== 503);
    errors.take();
  });

  it('times out a store call that hangs while the client looks connected (never a hang)', async () => {
    const { app, ran } = makeApp(
      rateLimit({ db, max: 2, duration: '1m', namespace: `${namespace}-slow`, storeTimeout: 400 }),
    );
    const errors = collectAppErrors(app);
    http = await listen(app);
    expect((await timed(http.url)).status).toBe(200);
    const admin = new Redis(server!.url);
    await admin.call('CLIENT', 'PAUSE', '2500', 'ALL');
    expect(db.status).toBe('ready');
    const slow = await timed(http.url);
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(390);
    expect(slow.ms).toBeLessThan(1500);
    const fast = await timed(http.url);
    expect(fast.ms).toBeLessThan(300);
    expect(ran()).toBe(3);
    const emitted = errors.take();
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ code: 'RATE_LIMIT_STORE_ERROR' });
    expect(((emitted[0] as Error).cause as { code?: string }).code).toBe('RATE_LIMIT_STORE_TIMEOUT');
    admin.disconnect();
  });
});
