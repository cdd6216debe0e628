import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import { type AppErrors, collectAppErrors, type Listening, listen, redisForTests } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertOnlyRefusals, burst, count, makeApp, rawBurst, sleep } from './helpers.js';

const url = await redisForTests();
// One prefix per test file and run: the Redis at 127.0.0.1:6379 is shared by parallel test files.
const prefix = `kk-rate-limit-test-${randomUUID()}`;
let ns = 0;
const namespace = () => `${prefix}:${++ns}`;

describe.skipIf(!url)('redis driver', () => {
  let clients: Redis[] = [];
  let servers: Listening[] = [];
  let errors: AppErrors[] = [];
  const client = () => {
    const c = new Redis(url!);
    clients.push(c);
    return c;
  };
  const serve = async (app: import('koa')): Promise<string> => {
    errors.push(collectAppErrors(app));
    const s = await listen(app);
    servers.push(s);
    return s.url;
  };

  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(url!);
  });
  /** Redis MONITOR, keeping the (lower-case) names of the commands that touch keys of `ns`. */
  const watchCommands = async (ns: string) => {
    const monitor = await admin.duplicate().monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.startsWith(ns))) commands.push(String(args[0]).toLowerCase());
    });
    return { monitor, commands };
  };
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    for (const e of errors) assertOnlyRefusals(e.take());
    await Promise.all(clients.map((c) => c.quit()));
    servers = [];
    errors = [];
    clients = [];
  });
  afterAll(async () => {
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length) await admin.del(...keys);
    await admin.quit();
  });

  it('counts exactly max per window, with the same headers, state and 429 as in memory', async () => {
    const ns1 = namespace();
    const { app, ran, caught } = makeApp(
      rateLimit({ driver: 'redis', db: client(), max: 3, duration: '1m', namespace: ns1 }),
    );
    const base = await serve(app);
    const seen: [number, string | null][] = [];
    let last: { rateLimit: { limit: number; remaining: number; reset: number } } | undefined;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(base);
      if (res.status === 200) last = (await res.json()) as typeof last;
      else await res.arrayBuffer();
      seen.push([res.status, res.headers.get('x-ratelimit-remaining')]);
    }
    expect(seen).toEqual([
      [200, '2'],
      [200, '1'],
      [200, '0'],
      [429, '0'],
    ]);
    expect(ran()).toBe(3);
    expect(last!.rateLimit).toMatchObject({ limit: 3, remaining: 0 });
    expect(last!.rateLimit.reset).toBeGreaterThan(Date.now() + 55_000);
    const err = caught() as unknown as { status: number; code: string; headers: Record<string, string> };
    expect(err.status).toBe(429);
    expect(err.code).toBe('RATE_LIMITED');
    expect(Number(err.headers['Retry-After'])).toBeGreaterThanOrEqual(58);
    // One key per client, with the window's expiry set on the Redis server.
    const pttl = await admin.pttl(`${ns1}:kk:127.0.0.1`);
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('starts a new window after the duration', async () => {
    const { app } = makeApp(rateLimit({ db: client(), max: 2, duration: 300, namespace: namespace() }));
    const base = await serve(app);
    expect(count(await burst([base], 4), 200)).toBe(2);
    await sleep(350);
    const res = await fetch(base);
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it('admits exactly N of 10N concurrent requests from one id across two app instances', async () => {
    const N = 30;
    const shared = namespace();
    const one = makeApp(rateLimit({ db: client(), max: N, duration: '1m', namespace: shared }));
    const two = makeApp(rateLimit({ db: client(), max: N, duration: '1m', namespace: shared }));
    const urls = [await serve(one.app), await serve(two.app)];
    const statuses = await burst(urls, 10 * N);
    expect(count(statuses, 200)).toBe(N);
    expect(count(statuses, 429)).toBe(9 * N);
    expect(one.ran() + two.ran()).toBe(N);
    expect(one.ran()).toBeGreaterThan(0);
    expect(two.ran()).toBeGreaterThan(0);
  });

  it('stays exact across two instances when each counts its burst in batched script calls', async () => {
    const N = 40;
    const shared = namespace();
    const one = makeApp(rateLimit({ db: client(), max: N, duration: '1m', namespace: shared }));
    const two = makeApp(rateLimit({ db: client(), max: N, duration: '1m', namespace: shared }));
    await serve(one.app);
    await serve(two.app);
    const [a, b] = await Promise.all([rawBurst(servers[0]!.port, 5 * N), rawBurst(servers[1]!.port, 5 * N)]);
    const statuses = [...a, ...b];
    expect(count(statuses, 200)).toBe(N);
    expect(count(statuses, 429)).toBe(9 * N);
    expect(one.ran() + two.ran()).toBe(N);
  });

  it('keeps namespaces apart on one Redis', async () => {
    const db = client();
    const a = makeApp(rateLimit({ db, max: 1, namespace: namespace() }));
    const b = makeApp(rateLimit({ db, max: 1, namespace: namespace() }));
    const [ua, ub] = [await serve(a.app), await serve(b.app)];
    expect(await burst([ua], 2)).toEqual(expect.arrayContaining([200, 429]));
    expect(await burst([ub], 2)).toEqual(expect.arrayContaining([200, 429]));
  });

  it('sends one EVALSHA per lone request, and reloads the script after SCRIPT FLUSH', async () => {
    const db = client();
    const ns1 = namespace();
    const { monitor, commands } = await watchCommands(ns1);
    const { app } = makeApp(rateLimit({ db, max: 10, namespace: ns1 }));
    const base = await serve(app);
    for (let i = 0; i < 3; i++) await (await fetch(base)).arrayBuffer();
    await admin.script('FLUSH');
    const after = await fetch(base);
    await after.arrayBuffer();
    expect(after.status).toBe(200);
    expect(after.headers.get('x-ratelimit-remaining')).toBe('6');
    await sleep(100);
    monitor.disconnect();
    // MONITOR lists each client command and then the commands the script ran: one script call per
    // request (3 EVALSHA), then the NOSCRIPT EVALSHA answered by one EVAL that reloads the script.
    expect(commands.join(' ')).toBe(
      'evalsha incr pttl pexpire evalsha incr pttl evalsha incr pttl evalsha eval incr pttl',
    );
  });

  it('counts a concurrent burst in fewer script calls than requests, every request counted once', async () => {
    const db = client();
    const ns1 = namespace();
    const { monitor, commands } = await watchCommands(ns1);
    const { app, ran } = makeApp(rateLimit({ db, max: 150, namespace: ns1 }));
    await serve(app);
    const statuses = await rawBurst(servers[0]!.port, 200);
    expect(count(statuses, 200)).toBe(150);
    expect(count(statuses, 429)).toBe(50);
    expect(ran()).toBe(150);
    await sleep(100);
    monitor.disconnect();
    const calls = commands.filter((c) => c === 'evalsha').length;
    expect(commands.filter((c) => c === 'incr')).toHaveLength(200);
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(200);
  });
});
