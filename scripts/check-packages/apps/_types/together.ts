// Compiled only by the type matrix, with every package installed: the promises that span packages.
import { basicAuth } from '@koa-kit/auth-basic';
import { jwt } from '@koa-kit/jwt';
import { type Session, session } from '@koa-kit/session';
import Koa from 'koa';

// One augmentation, in module 'koa', types ctx.state.user for both auth packages.
declare module 'koa' {
  interface KoaKitUser {
    tenant: string;
  }
}
declare module '@koa-kit/session' {
  interface SessionData {
    cartId?: string;
  }
}

const app = new Koa();
app.keys = ['a-signing-key-for-the-kit-check-app-0123456789'];
app.use(session());
app.use(basicAuth({ users: { alice: 'wonderland' } }));
app.use(jwt({ secret: 'a-shared-secret-of-at-least-32-bytes!!', algorithms: ['HS256'] }));
app.use((ctx) => {
  const tenant: string | undefined = ctx.state.user?.tenant;
  // Reading ctx.session needs no null check; its fields are the app's.
  const current: Session = ctx.session;
  const cart: string | undefined = ctx.session.cartId;
  ctx.session.cartId = 'c1';
  ctx.session = { cartId: 'c2' }; // not with @types/koa-session
  ctx.session = null;
  ctx.body = { tenant, cart, isNew: current.isNew };
});

// @ts-expect-error a key is a string, Buffer, KeyObject or JWK, never a number (KeyMaterial is not `any`)
jwt({ secret: 42, algorithms: ['HS256'] });
// @ts-expect-error cartId is a string
ctx0().session.cartId = 1;

function ctx0(): Koa.Context {
  return app.createContext({} as never, {} as never);
}

export default app;
