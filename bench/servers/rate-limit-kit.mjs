// @koa-kit/rate-limit in front of the bare-koa JSON route.
//   options.driver: 'memory' (default) or 'redis' (needs redisUrl; a unique key prefix per process)
//   options.algorithm: 'fixed-window' (default) or 'sliding-window'
//   options.cluster: true with driver 'redis': on a private Redis Cluster (3 masters, 3 replicas)
//   GET /api -> {"hello":"world"}; every request comes from one client (127.0.0.1), never limited
//   (max 1e9), so the figure is the cost of counting, headers included.
import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import Koa from 'koa';
import { benchRedisClient } from '../lib/redis.mjs';

export default async function rateLimitKit({
  driver = 'memory',
  redisUrl = null,
  algorithm = 'fixed-window',
  cluster = false,
} = {}) {
  const app = new Koa();
  const limits = { max: 1_000_000_000, duration: 60_000, algorithm };
  if (driver === 'redis') {
    const db = await benchRedisClient({ redisUrl, cluster }); // cluster: true, an ioredis Cluster on a private cluster
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
