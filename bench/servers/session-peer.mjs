// Peer: koa-session 7 as its README shows it (signed cookie, app.keys), same routes as session-kit.mjs.
import Koa from 'koa';
import session from 'koa-session';
import { sessionRoute } from './session-kit.mjs';

export default async function sessionPeer() {
  const app = new Koa();
  app.keys = ['bench-key-0123456789abcdef0123456789', 'bench-old-key-0123456789abcdef0123'];
  app.use(session({ maxAge: 86_400_000, httpOnly: true, signed: true }, app));
  app.use(sessionRoute);
  return app.callback();
}
