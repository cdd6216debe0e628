// @koa-kit/session, one server module for the three stores (options.store: cookie | memory | redis).
//   GET /login -> sets ctx.session.user, answers { ok: true } (and the session cookie)
//   GET /api   -> reads ctx.session.user (401 when absent), answers { hello: 'world' }: the same
//                 body as "bare koa", so the ratio is the session's cost alone
import { memoryStore, redisStore, session } from '@koa-kit/session';
import Koa from 'koa';
import { benchRedisClient } from '../lib/redis.mjs';

export default async function sessionKit(options) {
  const app = new Koa();
  app.keys = ['bench-key-0123456789abcdef0123456789', 'bench-old-key-0123456789abcdef0123'];
  let store;
  if (options.store === 'memory') store = memoryStore();
  if (options.store === 'redis') {
    const client = await benchRedisClient(options); // options.cluster: an ioredis Cluster on a private cluster
    store = redisStore({ client, prefix: `koa-kit:bench:session:${process.pid}:` });
  }
  app.use(session(store ? { store } : {}));
  app.use(sessionRoute);
  return app.callback();
}

/** The routes both session servers answer (session-peer.mjs uses it too). */
export async function sessionRoute(ctx) {
  if (ctx.path === '/login') {
    ctx.session.user = { id: 42, name: 'bench', roles: ['reader'] };
    ctx.body = { ok: true };
  } else if (ctx.path === '/api') {
    if (!ctx.session.user) ctx.throw(401, 'not logged in');
    ctx.body = { hello: 'world' };
  }
}
