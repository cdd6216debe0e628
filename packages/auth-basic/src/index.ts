export {
  BasicAuthErrorCode,
  type BasicAuthOptions,
  type BasicAuthUser,
  basicAuth,
  DEFAULT_REALM,
} from './basic-auth.js';

// The principal on `ctx.state.user`. @koa-kit/auth-basic and @koa-kit/jwt declare this same
// augmentation word for word, so an app that installs both still compiles. `KoaKitUser` lives in
// module 'koa' (not in either package), so one augmentation in the app types `ctx.state.user` for
// both: `declare module 'koa' { interface KoaKitUser { sub: string } }`.
declare module 'koa' {
  /** The authenticated principal; augment it in module 'koa' (not '@koa-kit/jwt' or '@koa-kit/auth-basic'). */
  interface KoaKitUser extends Record<string, unknown> {}
  interface DefaultState {
    /** The authenticated principal, set by @koa-kit/auth-basic or @koa-kit/jwt. */
    user?: KoaKitUser;
  }
}
