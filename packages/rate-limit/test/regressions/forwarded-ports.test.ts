import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, listen } from '@koa-kit/testing';
import { describe, expect, it } from 'vitest';
import { assertOnlyRefusals, makeApp } from '../helpers.js';

describe('X-Forwarded-For entries with a port (Azure Application Gateway) count as their address', () => {
  it('1.2.3.4:5678 and 1.2.3.4:5679 are one client; [2001:db8::1]:443 and 2001:db8::2 share their /64', async () => {
    const { app } = makeApp(rateLimit({ max: 2, duration: '1m' }));
    app.proxy = true;
    const errors = collectAppErrors(app);
    const server = await listen(app);
    const statusFor = async (forwarded: string): Promise<number> => {
      const res = await fetch(server.url, { headers: { 'x-forwarded-for': forwarded } });
      await res.arrayBuffer();
      return res.status;
    };
    try {
      expect([await statusFor('1.2.3.4:5678'), await statusFor('1.2.3.4:5679'), await statusFor('1.2.3.4:1')]).toEqual([
        200, 200, 429,
      ]);
      expect(await statusFor('1.2.3.5:5678')).toBe(200);
      expect([
        await statusFor('[2001:db8::1]:443'),
        await statusFor('2001:db8::2'),
        await statusFor('[2001:db8::3]'),
      ]).toEqual([200, 200, 429]);
      assertOnlyRefusals(errors.take());
    } finally {
      await server.close();
    }
  });
});
