import { rateLimit } from '@koa-kit/rate-limit';
import { type AppErrors, collectAppErrors, type Listening, listen } from '@koa-kit/testing';
import type Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { assertOnlyRefusals, burst, count, makeApp, sleep } from './helpers.js';

let server: Listening | undefined;
let errors: AppErrors | undefined;

async function serve(app: Koa): Promise<string> {
  errors = collectAppErrors(app);
  server = await listen(app);
  return server.url;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (errors) assertOnlyRefusals(errors.take());
  errors = undefined;
});

describe('memory driver: counting and headers', () => {
  it('lets exactly max requests through per window, then answers 429 without running downstream', async () => {
    const { app, ran } = makeApp(rateLimit({ max: 3, duration: '1m' }));
    const url = await serve(app);
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(url);
      await res.arrayBuffer();
      statuses.push(res.status);
      remaining.push(res.headers.get('x-ratelimit-remaining'));
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(remaining).toEqual(['2', '1', '0', '0', '0']);
    expect(ran()).toBe(3);
  });

  it('sends X-RateLimit-Limit/Remaining/Reset (Unix seconds) on allowed responses', async () => {
    const { app } = makeApp(rateLimit({ max: 10, duration: 60_000 }));
    const url = await serve(app);
    const before = Math.floor(Date.now() / 1000);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBe('10');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('9');
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(before + 59);
    expect(reset).toBeLessThanOrEqual(before + 62);
    expect(res.headers.get('ratelimit')).toBeNull();
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('puts { limit, remaining, reset } on ctx.state.rateLimit', async () => {
    const { app } = makeApp(rateLimit({ max: 4, duration: '1m' }));
    const url = await serve(app);
    const t0 = Date.now();
    const body = (await (await fetch(url)).json()) as {
      rateLimit: { limit: number; remaining: number; reset: number };
    };
    expect(body.rateLimit.limit).toBe(4);
    expect(body.rateLimit.remaining).toBe(3);
    expect(body.rateLimit.reset).toBeGreaterThan(t0 + 59_000);
    expect(body.rateLimit.reset).toBeLessThan(t0 + 61_500);
  });

  it('throws a 429 HttpError with code RATE_LIMITED and every header in err.headers', async () => {
    const { app, caught } = makeApp(rateLimit({ max: 1, duration: '30s' }));
    const url = await serve(app);
    await (await fetch(url)).arrayBuffer();
    const res = await fetch(url);
    const text = await res.text();
    expect(res.status).toBe(429);
    expect(text).toMatch(/^Rate limit exceeded, retry in \d+ seconds\.$/);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(res.headers.get('x-ratelimit-limit')).toBe('1');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset')).toMatch(/^\d{10}$/);
    const err = caught()!;
    expect(err.status).toBe(429);
    expect(err.expose).toBe(true);
    expect((err as { code?: string }).code).toBe('RATE_LIMITED');
    expect(err.headers).toMatchObject({
      'Retry-After': String(retryAfter),
      'x-ratelimit-limit': '1',
      'x-ratelimit-remaining': '0',
    });
  });

  it('starts a new window once the duration has passed', async () => {
    const { app } = makeApp(rateLimit({ max: 2, duration: 300 }));
    const url = await serve(app);
    expect(await burst([url], 3)).toEqual(expect.arrayContaining([200, 200, 429]));
    await sleep(350);
    const res = await fetch(url);
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it('uses overridden header names, and sends none with disableHeader', async () => {
    const named = makeApp(
      rateLimit({ max: 1, headers: { total: 'Quota-Limit', remaining: 'Quota-Left', reset: 'Quota-Reset' } }),
    );
    const res = await request(named.app.callback()).get('/');
    expect(res.headers['quota-limit']).toBe('1');
    expect(res.headers['quota-left']).toBe('0');
    expect(res.headers['quota-reset']).toMatch(/^\d+$/);
    expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    const over = await request(named.app.callback()).get('/');
    expect(over.status).toBe(429);
    expect(over.headers['quota-left']).toBe('0');

    const bare = makeApp(rateLimit({ max: 1, disableHeader: true }));
    const first = await request(bare.app.callback()).get('/');
    expect(Object.keys(first.headers).filter((h) => /ratelimit/i.test(h))).toEqual([]);
    const second = await request(bare.app.callback()).get('/');
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toMatch(/^\d+$/);
    expect(second.headers['x-ratelimit-remaining']).toBeUndefined();
  });

  it('sends the IETF RateLimit and RateLimit-Policy fields on demand', async () => {
    const { app } = makeApp(rateLimit({ max: 2, duration: '1m', namespace: 'api', standardHeaders: true }));
    const url = await serve(app);
    const res = await fetch(url);
    await res.arrayBuffer();
    expect(res.headers.get('ratelimit-policy')).toBe('"api";q=2;w=60');
    expect(res.headers.get('ratelimit')).toMatch(/^"api";r=1;t=(59|60)$/);
    await (await fetch(url)).arrayBuffer();
    const over = await fetch(url);
    await over.arrayBuffer();
    expect(over.status).toBe(429);
    expect(over.headers.get('ratelimit')).toMatch(/^"api";r=0;t=\d+$/);
    expect(over.headers.get('ratelimit-policy')).toBe('"api";q=2;w=60');
  });

  it('admits exactly max of 10 x max concurrent requests in one process', async () => {
    const { app, ran } = makeApp(rateLimit({ max: 25, duration: '1m' }));
    const url = await serve(app);
    const statuses = await burst([url], 250);
    expect(count(statuses, 200)).toBe(25);
    expect(count(statuses, 429)).toBe(225);
    expect(ran()).toBe(25);
  });

  it('keeps one store per factory call: two limiters do not share counts, one limiter on two paths does', async () => {
    const shared = rateLimit({ max: 2, duration: '1m' });
    const a = makeApp(shared);
    const b = makeApp(rateLimit({ max: 2, duration: '1m' }));
    const agentA = request(a.app.callback());
    expect((await agentA.get('/x')).status).toBe(200);
    expect((await agentA.get('/y')).status).toBe(200);
    expect((await agentA.get('/z')).status).toBe(429);
    expect((await request(b.app.callback()).get('/')).status).toBe(200);
  });
});

describe('memory driver: ids, allow and deny', () => {
  it('counts clients apart with a custom id, and skips limiting when id returns false', async () => {
    const { app } = makeApp(
      rateLimit({
        max: 1,
        id: (ctx) => (ctx.get('x-internal') === '1' ? false : ctx.get('x-api-key') || ctx.ip),
      }),
    );
    const agent = request(app.callback());
    expect((await agent.get('/').set('x-api-key', 'a')).status).toBe(200);
    expect((await agent.get('/').set('x-api-key', 'a')).status).toBe(429);
    expect((await agent.get('/').set('x-api-key', 'b')).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await agent.get('/').set('x-api-key', 'a').set('x-internal', '1');
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      expect(res.body.rateLimit).toBeNull();
    }
  });

  it('does not count allowed requests, and refuses denied ones with 403 CLIENT_DENIED before downstream', async () => {
    const { app, ran, caught } = makeApp(
      rateLimit({
        max: 1,
        allow: (ctx) => ctx.path === '/health',
        deny: async (ctx) => ctx.get('user-agent') === 'badbot',
      }),
    );
    const agent = request(app.callback());
    for (let i = 0; i < 5; i++) expect((await agent.get('/health')).status).toBe(200);
    const denied = await agent.get('/health').set('user-agent', 'badbot');
    expect(denied.status).toBe(403);
    expect(denied.text).toBe('Forbidden');
    expect((caught() as { code?: string }).code).toBe('CLIENT_DENIED');
    expect(caught()!.expose).toBe(true);
    expect(ran()).toBe(5);
    expect((await agent.get('/')).status).toBe(200);
    expect((await agent.get('/')).status).toBe(429);
  });

  it('limits requests whose id is empty together instead of failing', async () => {
    const { app } = makeApp(rateLimit({ max: 1, id: (ctx) => ctx.get('x-api-key') }));
    const agent = request(app.callback());
    expect((await agent.get('/')).status).toBe(200);
    expect((await agent.get('/').set('x-api-key', '')).status).toBe(429);
    expect((await agent.get('/').set('x-api-key', 'k')).status).toBe(200);
  });

  it('keeps long custom ids apart without storing them whole (they are hashed, not cut)', async () => {
    const shared = 'k'.repeat(300);
    const { app } = makeApp(rateLimit({ max: 1, duration: '1m', id: (ctx) => ctx.get('x-api-key') }));
    const url = await serve(app);
    const status = async (key: string) => (await request(url).get('/').set('x-api-key', key)).status;
    expect(await status(`${shared}-a`)).toBe(200);
    expect(await status(`${shared}-b`)).toBe(200);
    expect(await status(`${shared}-a`)).toBe(429);
    expect(await status(`${'x'.repeat(8000)}`)).toBe(200);
  });

  it('uses the message given in errorMessage', async () => {
    const { app } = makeApp(rateLimit({ max: 1, errorMessage: 'Slow down.' }));
    const agent = request(app.callback());
    await agent.get('/');
    const res = await agent.get('/');
    expect(res.status).toBe(429);
    expect(res.text).toBe('Slow down.');
  });
});
