// @koa-kit/rate-limit in front of the bare-koa JSON route.
//   options.driver: 'memory' (default) or 'redis' (needs redisUrl; a unique key prefix per process)
//   options.algorithm: 'fixed-window' (default) or 'sliding-window'
//   GET /api -> {"hello":"world"}; every request comes from one client (127.0.0.1), never limited
//   (max 1e9), so the figure is the cost of counting, headers included.
import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import { Redis } from 'ioredis';
import Koa from 'koa';

export default async function rateLimitKit({ driver = 'memory', redisUrl = null, algorithm = 'fixed-window' } = {}) {
  const app = new Koa();
  const limits = { max: 1_000_000_000, duration: 60_000, algorithm };
  if (driver === 'redis') {
    if (!redisUrl) throw new Error('driver "redis" needs redisUrl');
    const db = new Redis(redisUrl);
    app.use(rateLimit({ ...limits, db, namespace: `bench-rl-${randomUUID()}` }));
  } else {
    app.use(rateLimit(limits));
  }
  app.use(apiRoute);
  return app.callback();
}

/** The route every rate-limit server answers (rate-limit-peer.mjs and rate-limit-headers.mjs use it too). */
export async function apiRoute(ctx) {
  if (ctx.path === '/api' && ctx.method === 'GET') ctx.body = { hello: 'world' };
}
