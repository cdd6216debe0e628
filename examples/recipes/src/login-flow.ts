import { Router } from '@koa/router';
import { basicAuth } from '@koa-kit/auth-basic';
import { errors } from '@koa-kit/errors';
import { jwt, sign } from '@koa-kit/jwt';
import Koa from 'koa';

export function createApp(secret: string, users: Record<string, string>): Koa {
  const app = new Koa();
  app.use(errors());

  const router = new Router();
  // 1. The client proves who it is once, with a password...
  router.post('/login', basicAuth({ users, realm: 'example' }), (ctx) => {
    const name = String(ctx.state.user?.name);
    // ...and gets a short-lived token (sign() requires the algorithm; expiresIn is explicit here).
    ctx.body = { token: sign({ sub: name, scope: 'notes:read' }, secret, { algorithm: 'HS256', expiresIn: '15m' }) };
  });
  // 2. Every later request carries the token: no password on the wire again.
  router.get('/api/notes', jwt({ secret, algorithms: ['HS256'] }), (ctx) => {
    ctx.body = { owner: ctx.state.user?.sub, notes: ['buy milk'] };
  });

  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
