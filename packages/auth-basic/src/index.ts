export {
  BasicAuthErrorCode,
  type BasicAuthOptions,
  type BasicAuthUser,
  basicAuth,
  DEFAULT_REALM,
} from './basic-auth.js';

// The principal on `ctx.state.user`. @koa-kit/auth-basic and @koa-kit/jwt declare this same
// augmentation word for word, so an app that installs both still compiles. Augment `KoaKitUser`
// in your app to give `ctx.state.user` your own shape.
declare module 'koa' {
  /** The authenticated principal; extend it with module augmentation in your app. */
  interface KoaKitUser extends Record<string, unknown> {}
  interface DefaultState {
    /** The authenticated principal, set by @koa-kit/auth-basic or @koa-kit/jwt. */
    user?: KoaKitUser;
  }
}
