import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, listen } from '@koa-kit/testing';
import type Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { makeApp } from './helpers.js';

describe('onLimited(ctx, info)', () => {
  it('is called once per refused request, with the limit info, before the 429; its errors never make a 500', async () => {
    const calls: { path: string; limit: number; remaining: number; reset: number }[] = [];
    const { app } = makeApp(
      rateLimit({
        max: 1,
        duration: '1m',
        onLimited: (ctx: Koa.Context, info) => {
          calls.push({ path: ctx.path, ...info });
          if (ctx.path === '/throws') throw new Error('onLimited failed');
          if (ctx.path === '/rejects') return Promise.reject(new Error('onLimited rejected'));
          return undefined;
        },
      }),
    );
    const errors = collectAppErrors(app);
    const server = await listen(app);
    try {
      const statuses: number[] = [];
      for (const path of ['/a', '/b', '/throws', '/rejects']) {
        const res = await fetch(server.url + path);
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 429, 429, 429]);
      expect(calls.map((c) => c.path)).toEqual(['/b', '/throws', '/rejects']);
      expect(calls[0]).toMatchObject({ limit: 1, remaining: 0 });
      expect(calls[0]!.reset).toBeGreaterThan(Date.now() + 50_000);
      const emitted = errors.take().map((e) => (e as Error).message);
      expect(emitted.filter((m) => m.startsWith('onLimited'))).toEqual(['onLimited failed', 'onLimited rejected']);
    } finally {
      await server.close();
    }
  });
});
