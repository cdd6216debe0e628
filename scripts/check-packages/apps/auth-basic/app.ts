// A TypeScript user of @koa-kit/auth-basic: its options, its ctx.state typing, and the
// KoaKitUser augmentation its README recommends.
import { type BasicAuthOptions, type BasicAuthUser, basicAuth, DEFAULT_REALM } from '@koa-kit/auth-basic';
import Koa from 'koa';

declare module 'koa' {
  interface KoaKitUser {
    name?: string;
  }
}

const options: BasicAuthOptions = { users: { alice: 'wonderland' }, realm: DEFAULT_REALM };
const app = new Koa();
app.use(basicAuth(options));
app.use(
  basicAuth<BasicAuthUser & { admin: boolean }>({
    validate: async (name, password, ctx) =>
      name === 'root' && password.length > 0 && ctx.secure ? { name, admin: true } : false,
    proxy: true,
  }),
);
app.use((ctx) => {
  const name: string | undefined = ctx.state.user?.name;
  // @ts-expect-error ctx.state.user is typed by the package, not `any`
  const wrong: number = ctx.state.user;
  ctx.body = { name, wrong };
});

// @ts-expect-error the options are typed: realm is a string
basicAuth({ users: { a: 'b' }, realm: 42 });

export default app;
