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

// `ctx.state.user` and `KoaKitUser`: the augmentation @koa-kit/auth-basic publishes too, from one
// source that the declaration build inlines here.
import '@koa-kit/common/koa-kit-user';

declare module 'koa' {
  interface DefaultState {
    /** The verified token, set by @koa-kit/jwt: `{ token, header, payload }`, frozen. */
    jwt?: JwtState;
    /** Why @koa-kit/jwt refused the token, with `passthrough: true` (koa-jwt's name): the 401 it would have thrown. */
    jwtOriginalError?: HttpError;
  }
}
