import type { HttpError } from 'http-errors';
import type { JwtState } from './jwt.js';

export type { JwtHeader, JwtPayload } from './decode.js';
export { SERVER_ERRORS, TOKEN_ERRORS } from './errors.js';
export type { Jwk } from './jwk.js';
export {
  DEFAULT_JWKS_CACHE_TTL,
  DEFAULT_JWKS_COOLDOWN,
  DEFAULT_JWKS_TIMEOUT,
  type JwksOptions,
  jwks,
} from './jwks.js';
export {
  type ClaimMatcher,
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
// augmentation word for word, so an app that installs both still compiles. `KoaKitUser` lives in
// module 'koa' (not in either package), so one augmentation in the app types `ctx.state.user` for
// both: `declare module 'koa' { interface KoaKitUser { sub: string } }`.
declare module 'koa' {
  /** The authenticated principal; augment it in module 'koa' (not '@koa-kit/jwt' or '@koa-kit/auth-basic'). */
  interface KoaKitUser extends Record<string, unknown> {}
  interface DefaultState {
    /** The authenticated principal, set by @koa-kit/auth-basic or @koa-kit/jwt. */
    user?: KoaKitUser;
    /** The verified token, set by @koa-kit/jwt: `{ token, header, payload }`, frozen. */
    jwt?: JwtState;
    /** Why @koa-kit/jwt refused the token, with `passthrough: true` (koa-jwt's name): the 401 it would have thrown. */
    jwtOriginalError?: HttpError;
  }
}
