import {
  collectAppErrors,
  type Listening,
  listen,
  type RedisServer,
  startRedisServer,
  tempDir,
} from '@koa-kit/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_USERS } from '../src/app.js';

// Redis is stopped and restarted while load runs through the demo's session and rate-limit
// stores: every answer keeps to the documented behaviour, none hangs, and the app recovers alone.
const redisServer = await startRedisServer();
const [user, password] = Object.entries(DEMO_USERS)[0]!;
/** Longest answer we accept during the outage: the stores' timeouts (500 ms) plus slack. */
const MAX_ANSWER_MS = 2_500;
/** The error code of an envelope (`error.code`; older envelopes had it in `detail.code`). */
const errorCode = (body: any): string | undefined => body?.error?.code ?? body?.detail?.code;
const OUTAGE_CODES = new Set(['SESSION_STORE_UNAVAILABLE', 'RATE_LIMIT_UNAVAILABLE', 'LOGIN_STORE_UNAVAILABLE']);

describe.skipIf(!redisServer)('the demo with Redis stores while Redis goes away', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let client: Redis;
  let server: Listening;
  let appErrors: ReturnType<typeof collectAppErrors>;

  beforeAll(async () => {
    data = await tempDir('koa-kit-fault-');
    client = new Redis((redisServer as RedisServer).url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    client.on('error', () => {});
    // A limit high enough that the load itself is never limited: the test is about the outage.
    const app = await createDemo({ dataDir: data.path, redis: client, apiRateLimit: 1_000_000 });
    appErrors = collectAppErrors(app);
    server = await listen(app);
  });

  afterAll(async () => {
    await server?.close();
    client?.disconnect();
    await redisServer?.stop();
    await data?.remove();
  });

  async function logIn(agent: ReturnType<typeof request.agent>): Promise<string> {
    const res = await agent.post('/api/login?token=1').auth(user, password).expect(200);
    return res.body.data.token as string;
  }

  /** `workers` loops of session reads and writes until `until()` says stop; every answer recorded. */
  async function load(token: string, cookie: string, until: () => boolean, workers = 8) {
    const answers: { status: number; code: string | undefined; ms: number }[] = [];
    await Promise.all(
      Array.from({ length: workers }, async (_, i) => {
        while (!until()) {
          const started = Date.now();
          const res = await request(server.url)
            [i % 2 ? 'get' : 'post'](i % 2 ? '/api/me' : '/api/visits')
            .set('Authorization', `Bearer ${token}`)
            .set('Cookie', cookie)
            .timeout(10_000);
          answers.push({ status: res.status, code: errorCode(res.body), ms: Date.now() - started });
        }
      }),
    );
    return answers;
  }

  it('answers 503 with documented codes within the store timeout, then recovers by itself', async () => {
    const agent = request.agent(server.url);
    const token = await logIn(agent);
    const login = await request(server.url).post('/api/login').auth(user, password).expect(200);
    const cookie = [login.headers['set-cookie'] ?? []]
      .flat()
      .map((c) => c.split(';')[0])
      .join('; ');

    const before = await load(
      token,
      cookie,
      (() => {
        const end = Date.now() + 800;
        return () => Date.now() > end;
      })(),
    );
    expect(before.length).toBeGreaterThan(20);
    expect(before.every((a) => a.status === 200)).toBe(true);

    await redisServer!.stop();
    const during = await load(
      token,
      cookie,
      (() => {
        const end = Date.now() + 2_000;
        return () => Date.now() > end;
      })(),
    );
    expect(during.length).toBeGreaterThan(8);
    for (const answer of during) {
      expect(answer.ms).toBeLessThan(MAX_ANSWER_MS);
      if (answer.status !== 200) {
        expect(answer.status).toBe(503);
        expect(OUTAGE_CODES.has(answer.code ?? '')).toBe(true);
      }
    }
    expect(during.some((a) => a.status === 503)).toBe(true);
    // The login route's limiter fails closed: no unlimited password guessing while Redis is down.
    const started = Date.now();
    const refusedLogin = await request(server.url).post('/api/login').auth(user, password);
    expect(Date.now() - started).toBeLessThan(MAX_ANSWER_MS);
    expect(refusedLogin.status).toBe(503);
    expect(errorCode(refusedLogin.body)).toBe('RATE_LIMIT_UNAVAILABLE');

    await redisServer!.start();
    // The app is not restarted: sessions work again once ioredis has reconnected.
    const deadline = Date.now() + 10_000;
    let recovered: request.Response | undefined;
    while (!recovered && Date.now() < deadline) {
      const res = await request(server.url).post('/api/login?token=1').auth(user, password);
      if (res.status === 200) recovered = res;
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovered).toBeDefined();
    // This Redis keeps nothing across a restart, so the logins it held are gone (refused, not
    // revived): the old token is revoked and the new login works.
    await request(server.url).get('/api/me').set('Authorization', `Bearer ${token}`).expect(401);
    const freshCookie = [recovered!.headers['set-cookie'] ?? []]
      .flat()
      .map((c) => c.split(';')[0])
      .join('; ');
    const after = await load(
      recovered!.body.data.token,
      freshCookie,
      (() => {
        const end = Date.now() + 800;
        return () => Date.now() > end;
      })(),
    );
    expect(after.filter((a) => a.status !== 200)).toEqual([]);

    // The outage's errors reached the app's error listener (for logging), and only 5xx did.
    const emitted = appErrors.take();
    expect(emitted.length).toBeGreaterThan(0);
    for (const err of emitted) expect((err as { status?: number }).status ?? 500).toBeGreaterThanOrEqual(500);
  }, 40_000);
});
