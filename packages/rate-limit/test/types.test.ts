import { type RateLimitInfo, type RateLimitOptions, type RateLimitRedisClient, rateLimit } from '@koa-kit/rate-limit';
import type { Redis } from 'ioredis';
import Koa from 'koa';
import { describe, expectTypeOf, it } from 'vitest';

describe('public types', () => {
  it('types ctx.state.rateLimit through koa’s DefaultState', () => {
    const app = new Koa();
    app.use(rateLimit());
    app.use((ctx) => {
      expectTypeOf(ctx.state.rateLimit).toEqualTypeOf<RateLimitInfo | undefined>();
      if (ctx.state.rateLimit) expectTypeOf(ctx.state.rateLimit.remaining).toBeNumber();
    });
  });

  it('accepts an ioredis client through its structural client type', () => {
    expectTypeOf<Redis>().toExtend<RateLimitRedisClient>();
    expectTypeOf<{ db: Redis; max: 10 }>().toExtend<RateLimitOptions>();
    expectTypeOf(rateLimit).parameter(0).toEqualTypeOf<RateLimitOptions | undefined>();
    expectTypeOf(rateLimit).returns.toEqualTypeOf<Koa.Middleware>();
  });
});
