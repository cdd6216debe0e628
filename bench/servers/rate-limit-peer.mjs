// Peer: koa-ratelimit 6 used directly, as its README shows, in front of the bare-koa JSON route.
//   options.driver: 'memory' (a shared Map, so it limits at all) or 'redis' (ioredis client)
//   GET /api -> {"hello":"world"}; one client, never limited (max 1e9).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import Koa from 'koa';
import ratelimit from 'koa-ratelimit';
import { apiRoute } from './rate-limit-kit.mjs';

export default async function rateLimitPeer({ driver = 'memory', redisUrl = null } = {}) {
  const app = new Koa();
  const common = { duration: 60_000, max: 1e9, id: (ctx) => ctx.ip };
  if (driver === 'redis') {
    if (!redisUrl) throw new Error('driver "redis" needs redisUrl');
    const db = new Redis(redisUrl);
    app.use(ratelimit({ ...common, driver: 'redis', db, namespace: `bench-peer-${randomUUID()}` }));
  } else {
    app.use(ratelimit({ ...common, driver: 'memory', db: new Map() }));
  }
  app.use(apiRoute);
  return app.callback();
}
