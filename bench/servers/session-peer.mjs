// Peer: koa-session 7 as its README shows it (signed cookie, app.keys), same routes as session-kit.mjs.
import Koa from 'koa';
import session from 'koa-session';

export default async function sessionPeer() {
  const app = new Koa();
  app.keys = ['bench-key-0123456789abcdef0123456789', 'bench-old-key-0123456789abcdef'];
  app.use(session({ maxAge: 86_400_000, httpOnly: true, signed: true }, app));
  app.use(async function route(ctx) {
    if (ctx.path === '/login') {
      ctx.session.user = { id: 42, name: 'bench', roles: ['reader'] };
      ctx.body = { ok: true };
    } else if (ctx.path === '/api') {
      if (!ctx.session.user) ctx.throw(401, 'not logged in');
      ctx.body = { hello: 'world' };
    }
  });
  return app.callback();
}
