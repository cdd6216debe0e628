import type { JwtState } from './jwt.js';

export type { JwtHeader, JwtPayload } from './decode.js';
export { SERVER_ERRORS, TOKEN_ERRORS } from './errors.js';
export {
  DEFAULT_CACHE_MAX,
  DEFAULT_CACHE_TTL,
  DEFAULT_REALM,
  type JwtCacheOptions,
  type JwtOptions,
  type JwtState,
  jwt,
  type KeyResolver,
} from './jwt.js';
export { ALGORITHMS, type Algorithm, type KeyMaterial } from './keys.js';
export { requireScope } from './scope.js';
export { DEFAULT_EXPIRES_IN, type SignOptions, sign } from './sign.js';

// The principal on `ctx.state.user`. @koa-kit/auth-basic and @koa-kit/jwt declare this same
// augmentation word for word, so an app that installs both still compiles. Augment `KoaKitUser`
// in your app to give `ctx.state.user` your own shape.
declare module 'koa' {
  /** The authenticated principal; extend it with module augmentation in your app. */
  interface KoaKitUser extends Record<string, unknown> {}
  interface DefaultState {
    /** The authenticated principal, set by @koa-kit/auth-basic or @koa-kit/jwt. */
    user?: KoaKitUser;
    /** The verified token, set by @koa-kit/jwt: `{ token, header, payload }`, frozen. */
    jwt?: JwtState;
  }
}
