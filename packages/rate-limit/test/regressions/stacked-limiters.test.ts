import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, listen } from '@koa-kit/testing';
import { describe, expect, it } from 'vitest';
import { assertOnlyRefusals, makeApp } from '../helpers.js';

describe('stacked limiters append their RateLimit / RateLimit-Policy members', () => {
  it('a global and a per-route limiter both appear, on success and on the 429', async () => {
    const { app } = makeApp(
      rateLimit({ max: 10, duration: '1m', namespace: 'global', standardHeaders: true }),
      rateLimit({ max: 1, duration: '10s', namespace: 'route', standardHeaders: true }),
    );
    const errors = collectAppErrors(app);
    const server = await listen(app);
    try {
      const ok = await fetch(server.url);
      await ok.arrayBuffer();
      expect(ok.headers.get('ratelimit-policy')).toBe('"global";q=10;w=60, "route";q=1;w=10');
      expect(ok.headers.get('ratelimit')).toMatch(/^"global";r=9;t=(59|60), "route";r=0;t=(9|10)$/);
      const refused = await fetch(server.url);
      await refused.arrayBuffer();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('ratelimit-policy')).toBe('"global";q=10;w=60, "route";q=1;w=10');
      expect(refused.headers.get('ratelimit')).toMatch(/^"global";r=8;t=(59|60), "route";r=0;t=(9|10)$/);
      assertOnlyRefusals(errors.take());
    } finally {
      await server.close();
    }
  });
});
