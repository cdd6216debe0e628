// Peer full stack, each library used as its README shows:
//   koa-json-error -> koa-ratelimit (memory, shared Map) -> koa-session (signed cookie) -> koa-jwt
// Options: { secret: 'string' | 'keyobject' } (koa-jwt's HS256 secret as given to jsonwebtoken).
//   GET /login -> logs in: sets the session, answers { token } (HS256, 1 h)
//   GET /api   -> { hello: 'world' } for a logged-in request (session read + bearer token)
import { createSecretKey } from 'node:crypto';
import Koa from 'koa';
import jsonError from 'koa-json-error';
import koaJwt from 'koa-jwt';
import ratelimit from 'koa-ratelimit';
import session from 'koa-session';
import { signHs256 } from './hs256.mjs';

const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export default async function peerStack({ secret = 'keyobject' } = {}) {
  if (secret !== 'string' && secret !== 'keyobject') throw new TypeError('"secret" must be "string" or "keyobject"');
  const app = new Koa();
  app.keys = ['bench-key-1', 'bench-key-0'];
  app.use(jsonError());
  app.use(
    ratelimit({
      driver: 'memory',
      db: new Map(),
      duration: 60_000,
      max: 1e9,
      id: (ctx) => ctx.ip,
    }),
  );
  app.use(session({ key: 'sess', maxAge: 86_400_000, httpOnly: true, signed: true }, app));
  app.use(async function login(ctx, next) {
    if (ctx.path !== '/login') return next();
    ctx.session.user = { id: 42, name: 'bench' };
    ctx.body = { token: signHs256({ sub: '42', scope: 'read' }, SECRET, 3600) };
  });
  app.use(
    koaJwt({ secret: secret === 'string' ? SECRET : createSecretKey(Buffer.from(SECRET)), algorithms: ['HS256'] }),
  );
  app.use(async function route(ctx) {
    if (ctx.path !== '/api') return;
    if (!ctx.session.user || !ctx.state.user) ctx.throw(401, 'not logged in');
    ctx.body = { hello: 'world' };
  });
  return app.callback();
}
