// koa-kit's full stack, as an app would compose it:
//   errors() -> statusEnvelope() -> rateLimit() (memory) -> session() (encrypted cookie) -> jwt() (HS256)
//   GET /login -> logs in: sets the session, answers { token } (enveloped: { code, message, data })
//   GET /api   -> { hello: 'world' } (enveloped) for a logged-in request (session read + bearer token)
// The secret is given as a string, the way most apps hold it: jwt() makes the KeyObject itself.
import { errors } from '@koa-kit/errors';
import { jwt, sign } from '@koa-kit/jwt';
import { rateLimit } from '@koa-kit/rate-limit';
import { session } from '@koa-kit/session';
import { statusEnvelope } from '@koa-kit/status-envelope';
import Koa from 'koa';

const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export default async function kitStack() {
  const app = new Koa();
  app.keys = ['bench-key-1-bench-key-1-bench-key-1', 'bench-key-0-bench-key-0-bench-key-0'];
  app.use(errors());
  app.use(statusEnvelope());
  app.use(rateLimit({ max: 1_000_000_000, duration: 60_000 }));
  app.use(session());
  app.use(async function login(ctx, next) {
    if (ctx.path !== '/login') return next();
    ctx.session.user = { id: 42, name: 'bench' };
    ctx.body = { token: sign({ sub: '42', scope: 'read' }, SECRET, { algorithm: 'HS256', expiresIn: '1h' }) };
  });
  app.use(jwt({ secret: SECRET, algorithms: ['HS256'] }));
  app.use(async function route(ctx) {
    if (ctx.path !== '/api') return;
    if (!ctx.session.user || !ctx.state.user) ctx.throw(401, 'not logged in');
    ctx.body = { hello: 'world' };
  });
  return app.callback();
}
