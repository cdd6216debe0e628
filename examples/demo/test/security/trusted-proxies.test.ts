import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createDemo } from '../../src/app.js';
import { startDemo } from './helpers.js';

/** Six failed logins (the login limit is 5 a minute with apiRateLimit 50) with the given X-Forwarded-For values. */
async function loginStatuses(url: string, forwardedFor: (i: number) => string, count = 6) {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    statuses.push((await request(url).post('/api/login').set('X-Forwarded-For', forwardedFor(i))).status);
  }
  return statuses;
}

describe('trusted proxies', () => {
  it('ignores X-Forwarded-For by default: rotating values do not escape the login limiter', async () => {
    const demo = await startDemo({ apiRateLimit: 50 });
    try {
      const statuses = await loginStatuses(demo.server.url, (i) => `198.51.100.${i}`);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      await demo.close();
    }
  });

  it('behind one proxy, limits by the address that proxy saw, not by what the client wrote', async () => {
    const demo = await startDemo({ apiRateLimit: 50, trustedProxies: 1 });
    try {
      // The client rotates the left of the header; the proxy appends the real address on the right.
      const rotating = await loginStatuses(demo.server.url, (i) => `198.51.100.${i}, 203.0.113.7`);
      expect(rotating.at(-1)).toBe(429);
      // Another client behind the same proxy has its own count.
      const other = await loginStatuses(demo.server.url, () => '203.0.113.8', 1);
      expect(other).toEqual([401]);
    } finally {
      await demo.close();
    }
  });

  it('refuses a trustedProxies value it cannot honour', async () => {
    for (const bad of [-1, 1.5, Number.NaN, '1' as unknown as number]) {
      await expect(createDemo({ dataDir: '/nonexistent', trustedProxies: bad })).rejects.toThrow(TypeError);
    }
  });
});
