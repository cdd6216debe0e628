import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, listen } from '@koa-kit/testing';
import type Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { assertOnlyRefusals, makeApp } from '../helpers.js';

describe('id() returning undefined or null falls back to the default id (the client address)', () => {
  it('requests whose id() gives undefined are not all one "undefined" client', async () => {
    const keys: Record<string, string> = { alice: 'key-alice' };
    const { app } = makeApp(
      rateLimit({ max: 1, duration: '1m', id: ((ctx: Koa.Context) => keys[ctx.get('x-user')]) as never }),
    );
    app.proxy = true;
    const errors = collectAppErrors(app);
    const server = await listen(app);
    const statusFor = async (user: string, ip: string): Promise<number> => {
      const res = await fetch(server.url, { headers: { 'x-user': user, 'x-forwarded-for': ip } });
      await res.arrayBuffer();
      return res.status;
    };
    try {
      // Two anonymous clients at different addresses: one count each, not one shared bucket.
      expect(await statusFor('nobody', '10.0.0.1')).toBe(200);
      expect(await statusFor('nobody', '10.0.0.2')).toBe(200);
      expect(await statusFor('nobody', '10.0.0.1')).toBe(429);
      // A known key is still counted by its key, whatever the address.
      expect(await statusFor('alice', '10.0.0.1')).toBe(200);
      expect(await statusFor('alice', '10.0.0.9')).toBe(429);
      assertOnlyRefusals(errors.take());
    } finally {
      await server.close();
    }
  });
});
