import { errors } from '@koa-kit/errors';
import { rateLimit } from '@koa-kit/rate-limit';
import { redisStore, session } from '@koa-kit/session';
import type { Redis } from 'ioredis';
import Koa from 'koa';

/** One of several identical processes behind a load balancer, all sharing one Redis. */
export function createApp(redis: Redis, keys: string[]): Koa {
  const app = new Koa({ proxy: true }); // behind the load balancer: trust X-Forwarded-For
  app.keys = keys; // the same keys in every process
  app.use(errors());
  // One count per client across all processes: exactly `max` requests pass per window.
  app.use(rateLimit({ driver: 'redis', db: redis, namespace: 'api', max: 100, duration: '1m' }));
  // Sessions live in Redis, so any process can serve any request of a logged-in user.
  app.use(session({ store: redisStore({ client: redis, prefix: 'sess:' }) }));
  app.use((ctx) => {
    const visits = Number(ctx.session?.visits ?? 0) + 1;
    if (ctx.session) ctx.session.visits = visits;
    ctx.body = { visits };
  });
  return app;
}
