import {
  memoryStore,
  type RedisClientLike,
  redisStore,
  type Session,
  type SessionStore,
  session,
} from '@koa-kit/session';
import type { Redis } from 'ioredis';
import Koa from 'koa';
import { describe, expect, expectTypeOf, it } from 'vitest';

declare module '@koa-kit/session' {
  interface SessionData {
    userId?: string;
  }
}

describe('public types', () => {
  it('types ctx.session through the koa augmentation, with the app-declared fields', () => {
    const app = new Koa();
    app.use(session({ keys: ['k'.repeat(32)] }));
    app.use((ctx) => {
      // Reads as a Session (no null check under strict); assigning null still logs out.
      expectTypeOf(ctx.session).toEqualTypeOf<Session>();
      expectTypeOf(ctx.session.userId).toEqualTypeOf<string | undefined>();
      expectTypeOf(ctx.session.regenerate).returns.resolves.toBeVoid();
      ctx.session = { userId: 'u1' };
      ctx.session = null;
    });
    expect(app.middleware).toHaveLength(2);
  });

  it('accepts an ioredis client structurally, and both stores are SessionStores', () => {
    expectTypeOf<Redis>().toExtend<RedisClientLike>();
    expectTypeOf(memoryStore()).toEqualTypeOf<SessionStore>();
    expectTypeOf(redisStore).parameter(0).toHaveProperty('client').toEqualTypeOf<RedisClientLike>();
    expect(typeof redisStore).toBe('function');
  });
});
