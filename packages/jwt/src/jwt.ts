import createError from 'http-errors';
import jsonwebtoken, { type VerifyOptions } from 'jsonwebtoken';
import type { Context, KoaKitUser, Middleware, Next } from 'koa';
import { Lru } from './cache.js';
import { decode, type JwtHeader, type JwtPayload } from './decode.js';
import { challenges, Refusal, serverError, type TokenErrorCode, tokenError } from './errors.js';
import { type Algorithm, isAlgorithm, type KeyMaterial, KeyMemo, keyProblem, toKeyObject } from './keys.js';
import { bearer, cookieToken, MALFORMED_HEADER } from './token.js';

/** Realm of the `WWW-Authenticate` challenge when none is given. */
export const DEFAULT_REALM = 'api';
/** Verified tokens kept (least recently used evicted first). */
export const DEFAULT_CACHE_MAX = 1000;
/** Longest a verified result is reused, in seconds, even when the token lives longer. */
export const DEFAULT_CACHE_TTL = 300;

/** Resolves the verification key of a token, e.g. by `header.kid`; null or undefined for "unknown key". */
export type KeyResolver = (
  header: JwtHeader,
  payload: JwtPayload,
) => KeyMaterial | null | undefined | Promise<KeyMaterial | null | undefined>;

/** What `jwt()` puts on `ctx.state.jwt`. Frozen: copy it to change it. */
export interface JwtState {
  readonly token: string;
  readonly header: Readonly<JwtHeader>;
  readonly payload: Readonly<JwtPayload>;
}

export interface JwtCacheOptions {
  /** Entries kept. Default 1000. */
  max?: number;
  /** Seconds a verified result is reused at most. Default 300. */
  ttl?: number;
}

export interface JwtOptions {
  /** HMAC secret, PEM (public key, certificate or private key), JWK, KeyObject, or a resolver. */
  secret: KeyMaterial | KeyResolver;
  /** Accepted `alg` values. Required; `none` is never accepted. */
  algorithms: Algorithm[];
  issuer?: string | string[];
  audience?: string | RegExp | Array<string | RegExp>;
  subject?: string;
  /** Largest accepted token age in seconds, from `iat`. */
  maxAge?: number;
  /** Seconds of leeway for `exp`, `nbf` and `maxAge`. Default 0. */
  clockTolerance?: number;
  /** Leave `ctx.state.user` unset instead of refusing a missing or bad token. Default false. */
  passthrough?: boolean;
  /** Asked on every request, cache hit or not; true refuses with TOKEN_REVOKED. */
  isRevoked?: (ctx: Context, payload: Readonly<JwtPayload>) => boolean | Promise<boolean>;
  /** Also read the token from this cookie. */
  cookie?: string;
  /** Reads the token yourself; when it returns nothing the header and cookie are tried. */
  getToken?: (ctx: Context) => string | null | undefined | Promise<string | null | undefined>;
  /** `ctx.state` key of the payload. Default `"user"`. */
  key?: string;
  /** Realm of the challenge, printable ASCII. Default `"api"`. */
  realm?: string;
  /** Cache of verified results, or false. Default `{ max: 1000, ttl: 300 }`. */
  cache?: false | JwtCacheOptions;
}

interface Entry {
  state: JwtState;
  /** Epoch ms from which the entry must not be used (exp, maxAge or cache ttl). */
  validUntil: number;
  /** Epoch ms before which the entry must not be used (nbf). */
  notBefore: number;
}

/** Lets `requireScope()` answer with the realm of the `jwt()` in front of it. */
export const REALM = Symbol.for('@koa-kit/jwt:realm');

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const { JsonWebTokenError, NotBeforeError, TokenExpiredError } = jsonwebtoken;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function seconds(name: string, value: unknown, positive: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new TypeError(`"${name}" option must be a ${positive ? 'positive' : 'non-negative'} number of seconds`);
  }
  return value;
}

/** Maps a jsonwebtoken failure to a code; anything unrecognised is TOKEN_INVALID, never a 500. */
function codeOf(err: unknown): TokenErrorCode {
  if (err instanceof TokenExpiredError) return 'TOKEN_EXPIRED';
  if (err instanceof NotBeforeError) return 'TOKEN_NOT_YET_VALID';
  const message = err instanceof JsonWebTokenError ? err.message : '';
  if (message === 'invalid signature' || message === 'jwt signature is required') return 'TOKEN_SIGNATURE_INVALID';
  if (message === 'invalid algorithm' || message.startsWith('secretOrPublicKey must be'))
    return 'TOKEN_ALGORITHM_NOT_ALLOWED';
  if (message.startsWith('jwt audience invalid')) return 'TOKEN_AUDIENCE_INVALID';
  if (message.startsWith('jwt issuer invalid')) return 'TOKEN_ISSUER_INVALID';
  if (message.startsWith('jwt subject invalid')) return 'TOKEN_SUBJECT_INVALID';
  if (/^invalid (exp|nbf) value|^iat required/.test(message)) return 'TOKEN_CLAIM_INVALID';
  if (message === 'jwt malformed' || message === 'invalid token') return 'TOKEN_MALFORMED';
  return 'TOKEN_INVALID';
}

function checkAlgorithms(value: unknown): Algorithm[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError('"algorithms" option is required: a non-empty array such as ["HS256"] or ["RS256"]');
  }
  for (const alg of value) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none')
      throw new TypeError('"algorithms" option must never include "none"');
    if (!isAlgorithm(alg)) throw new TypeError(`"algorithms" option: unsupported algorithm ${JSON.stringify(alg)}`);
  }
  return [...new Set(value as Algorithm[])];
}

function checkString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new TypeError(`"${name}" option must be a non-empty string`);
  return value;
}

function checkFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`"${name}" option must be a function`);
  return value;
}

function checkAudience(value: unknown): JwtOptions['audience'] {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((a) => (typeof a === 'string' && a !== '') || a instanceof RegExp)) {
    throw new TypeError('"audience" option must be a string, a RegExp or a non-empty array of them');
  }
  return Array.isArray(value) ? [...value] : (value as string | RegExp);
}

function checkIssuer(value: unknown): string | string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((i) => typeof i === 'string' && i !== '')) {
    throw new TypeError('"issuer" option must be a string or a non-empty array of strings');
  }
  return Array.isArray(value) ? [...value] : (value as string);
}

/**
 * JWT bearer authentication on jsonwebtoken 9. Every key becomes a KeyObject here, once; tokens
 * are verified against the configured algorithms only, results are cached by token until they
 * expire (revocation is still asked every time), and refusals are 401s with RFC 6750 challenges.
 */
export function jwt(options: JwtOptions): Middleware {
  if (!isPlainObject(options)) throw new TypeError('jwt(options): options must be an object');
  const algorithms = checkAlgorithms(options.algorithms);
  const realm = options.realm ?? DEFAULT_REALM;
  if (typeof realm !== 'string' || !PRINTABLE_ASCII.test(realm)) {
    throw new TypeError('"realm" option must be a string of printable ASCII characters');
  }
  const stateKey = checkString('key', options.key) ?? 'user';
  if (stateKey === 'jwt')
    throw new TypeError('"key" option cannot be "jwt": ctx.state.jwt holds { token, header, payload }');
  const cookie = checkString('cookie', options.cookie);
  const getToken = checkFunction('getToken', options.getToken);
  const isRevoked = checkFunction('isRevoked', options.isRevoked);
  const passthrough = options.passthrough ?? false;
  if (typeof passthrough !== 'boolean') throw new TypeError('"passthrough" option must be a boolean');
  const clockTolerance = seconds('clockTolerance', options.clockTolerance, false) ?? 0;
  const maxAge = seconds('maxAge', options.maxAge, true);
  const subject = checkString('subject', options.subject);
  const issuer = checkIssuer(options.issuer);
  const audience = checkAudience(options.audience);

  let cache: Lru<string, Entry> | undefined;
  let ttlMs = 0;
  if (options.cache !== false) {
    const c = options.cache ?? {};
    if (!isPlainObject(c)) throw new TypeError('"cache" option must be false or { max, ttl }');
    const max: unknown = c.max ?? DEFAULT_CACHE_MAX;
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0)
      throw new TypeError('"cache.max" option must be a non-negative integer');
    ttlMs = (seconds('cache.ttl', c.ttl, true) ?? DEFAULT_CACHE_TTL) * 1000;
    if (max > 0) cache = new Lru(max);
  }

  // Keys: a static key is converted and checked against every algorithm now; a resolver's keys
  // are converted (memoized) and checked against the token's algorithm at verification.
  const secret = options.secret;
  let staticKey: ReturnType<typeof toKeyObject> | undefined;
  let resolver: KeyResolver | undefined;
  let memo: KeyMemo | undefined;
  if (typeof secret === 'function') {
    resolver = secret as KeyResolver;
    memo = new KeyMemo('verify');
  } else {
    if (secret === undefined || secret === null) throw new TypeError('"secret" option is required');
    try {
      staticKey = toKeyObject(secret, 'verify');
    } catch (err) {
      throw new TypeError(`"secret" option: ${(err as Error).message}`);
    }
    for (const alg of algorithms) {
      const problem = keyProblem(staticKey, alg);
      if (problem) throw new TypeError(`"secret" option does not fit "algorithms": ${problem.reason}`);
    }
  }

  const verifyOptions: VerifyOptions = { algorithms, clockTolerance };
  if (issuer !== undefined) verifyOptions.issuer = issuer as VerifyOptions['issuer'];
  if (audience !== undefined) verifyOptions.audience = audience as VerifyOptions['audience'];
  if (subject !== undefined) verifyOptions.subject = subject;
  if (maxAge !== undefined) verifyOptions.maxAge = maxAge;
  const allowed: ReadonlySet<string> = new Set(algorithms);
  const challenge = challenges(realm);

  function finish(token: string, header: JwtHeader, payload: JwtPayload, now: number): Entry {
    const state = { token, header: deepFreeze(header), payload: deepFreeze(payload) };
    Object.defineProperty(state, REALM, { value: realm });
    let validUntil = now + ttlMs;
    if (typeof payload.exp === 'number') validUntil = Math.min(validUntil, (payload.exp + clockTolerance) * 1000);
    if (maxAge !== undefined && typeof payload.iat === 'number') {
      validUntil = Math.min(validUntil, (payload.iat + maxAge + clockTolerance) * 1000);
    }
    const notBefore = typeof payload.nbf === 'number' ? (payload.nbf - clockTolerance) * 1000 : 0;
    const entry: Entry = { state: Object.freeze(state), validUntil, notBefore };
    cache?.set(token, entry);
    return entry;
  }

  function check(token: string, key: ReturnType<typeof toKeyObject>): void {
    try {
      jsonwebtoken.verify(token, key, verifyOptions);
    } catch (err) {
      throw new Refusal(codeOf(err));
    }
  }

  function verifyStatic(token: string, now: number): Entry {
    const { header, payload } = decode(token);
    if (!allowed.has(header.alg)) throw new Refusal('TOKEN_ALGORITHM_NOT_ALLOWED');
    check(token, staticKey as NonNullable<typeof staticKey>);
    return finish(token, header, payload, now);
  }

  async function verifyResolved(token: string, now: number): Promise<Entry> {
    const { header, payload } = decode(token);
    if (!allowed.has(header.alg)) throw new Refusal('TOKEN_ALGORITHM_NOT_ALLOWED');
    let material: KeyMaterial | null | undefined;
    try {
      material = await (resolver as KeyResolver)(header, payload);
    } catch (err) {
      if (createError.isHttpError(err)) throw err;
      throw serverError('JWT_KEY_RESOLVER_FAILED', err);
    }
    if (material === null || material === undefined || (material as unknown) === false)
      throw new Refusal('TOKEN_KEY_UNKNOWN');
    let key: ReturnType<typeof toKeyObject>;
    try {
      key = (memo as KeyMemo).get(material);
    } catch (err) {
      throw serverError('JWT_KEY_INVALID', err);
    }
    // The key kind comes from the key, never from the token: an HS256 header against an RSA key
    // (the algorithm-confusion attack) is refused here.
    const problem = keyProblem(key, header.alg as Algorithm);
    if (problem) {
      // The right kind but too weak is the server's fault; the wrong kind is the token's.
      if (problem.weak) throw serverError('JWT_KEY_INVALID', new Error(problem.reason));
      throw new Refusal('TOKEN_ALGORITHM_NOT_ALLOWED');
    }
    check(token, key);
    return finish(token, header, payload, now);
  }

  async function tokenOf(ctx: Context): Promise<string | typeof MALFORMED_HEADER | undefined> {
    if (getToken !== undefined) {
      const own = await getToken(ctx);
      if (typeof own === 'string' && own !== '') return own;
    }
    const fromHeader = bearer(ctx.request.headers.authorization);
    if (fromHeader !== undefined) return fromHeader;
    return cookie === undefined ? undefined : cookieToken(ctx, cookie);
  }

  /** Throws the 401, or with `passthrough` leaves a note of the realm for `requireScope()`. */
  function refuse(ctx: Context, code: TokenErrorCode): void {
    if (!passthrough) throw tokenError(code, challenge[code]);
    (ctx as unknown as Record<symbol, string>)[REALM] = realm;
  }

  return async function jwt(ctx: Context, next: Next): Promise<void> {
    const token =
      getToken === undefined && cookie === undefined ? bearer(ctx.request.headers.authorization) : await tokenOf(ctx);
    if (token === undefined) {
      refuse(ctx, 'TOKEN_MISSING');
      return next();
    }
    if (token === MALFORMED_HEADER) {
      refuse(ctx, 'TOKEN_MALFORMED');
      return next();
    }
    const now = Date.now();
    let entry = cache?.get(token);
    if (entry !== undefined && (now >= entry.validUntil || now < entry.notBefore)) {
      // Expired, or past the cache ttl: drop it and verify again, which also names the reason.
      cache?.delete(token);
      entry = undefined;
    }
    if (entry === undefined) {
      try {
        entry = resolver === undefined ? verifyStatic(token, now) : await verifyResolved(token, now);
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        refuse(ctx, err.code);
        return next();
      }
    }
    if (isRevoked !== undefined) {
      let revoked: boolean;
      try {
        revoked = await isRevoked(ctx, entry.state.payload);
      } catch (err) {
        throw serverError('JWT_REVOCATION_CHECK_FAILED', err);
      }
      if (revoked) {
        refuse(ctx, 'TOKEN_REVOKED');
        return next();
      }
    }
    ctx.state[stateKey] = entry.state.payload as KoaKitUser;
    ctx.state.jwt = entry.state;
    return next();
  };
}
