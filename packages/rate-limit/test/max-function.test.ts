import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, type Listening, listen, redisForTests } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import type Koa from 'koa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assertOnlyRefusals, makeApp } from './helpers.js';

const url = await redisForTests();
const prefix = `kk-rate-limit-maxfn-${randomUUID()}`;
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

async function serve(limiter: Koa.Middleware) {
  const { app } = makeApp(limiter);
  appErrors = collectAppErrors(app);
  server = await listen(app);
  const target = server.url;
  return async (user: string) => {
    const res = await fetch(target, { headers: { 'x-user': user } });
    await res.arrayBuffer();
    return {
      status: res.status,
      limit: res.headers.get('x-ratelimit-limit'),
      policy: res.headers.get('ratelimit-policy'),
    };
  };
}

const plans: Record<string, unknown> = { pro: 3, free: 1, broken: 2.5, missing: undefined };

const cases = [
  ['memory', 'fixed-window'],
  ['memory', 'sliding-window'],
  ['redis', 'fixed-window'],
  ['redis', 'sliding-window'],
] as const;

describe.each(cases)('max as a function of the request (%s, %s)', (driver, algorithm) => {
  const skip = driver === 'redis' && !db;
  const store = () => (driver === 'redis' ? { db, namespace: `${prefix}-${++seq}` } : {});

  it.skipIf(skip)('each client gets the limit its function gives, sync or async; a bad result refuses', async () => {
    const send = await serve(
      rateLimit({
        ...store(),
        algorithm,
        duration: '1m',
        standardHeaders: true,
        id: (ctx) => ctx.get('x-user'),
        max: (ctx) => {
          const plan = plans[ctx.get('x-user')] as number;
          return ctx.get('x-user') === 'free' ? Promise.resolve(plan) : plan;
        },
      }),
    );
    const pro = [await send('pro'), await send('pro'), await send('pro'), await send('pro')];
    expect(pro.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(pro[0]!.limit).toBe('3');
    expect(pro[0]!.policy).toMatch(/;q=3;w=60$/);
    const free = [await send('free'), await send('free')];
    expect(free.map((r) => r.status)).toEqual([200, 429]);
    expect(free[0]!.limit).toBe('1');
    expect((await send('broken')).status).toBe(429);
    expect((await send('missing')).status).toBe(429);
  });
});
