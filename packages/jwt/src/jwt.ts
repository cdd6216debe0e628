import type { KeyObject } from 'node:crypto';
import { isPlainObject, isPrintableAscii, optionError } from '@koa-kit/common';
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

/**
 * Resolves the verification key of a token, e.g. by `header.kid` or by tenant from `ctx`; null or
 * undefined (or throwing an error named `SigningKeyNotFoundError`, as jwks-rsa does) for "unknown key".
 */
export type KeyResolver = (
  header: JwtHeader,
  payload: JwtPayload,
  ctx: Context,
) => KeyMaterial | null | undefined | Promise<KeyMaterial | null | undefined>;

/** A claim matcher: a string (exact), a RegExp, or a non-empty array of them (one match suffices). */
export type ClaimMatcher = string | RegExp | Array<string | RegExp>;

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
  /** HMAC secret, PEM (public key, certificate or private key), JWK, KeyObject, several of them, or a resolver. */
  secret: KeyMaterial | KeyMaterial[] | KeyResolver;
  /** Accepted `alg` values. Required; `none` is never accepted. */
  algorithms: Algorithm[];
  issuer?: ClaimMatcher;
  audience?: string | RegExp | Array<string | RegExp>;
  subject?: ClaimMatcher;
  /** Required `jti`. */
  jwtid?: string;
  /** Required `nonce` (OpenID Connect ID tokens). */
  nonce?: string;
  /** Claims that must be present. */
  requiredClaims?: string[];
  /** Required `typ` header, compared without case and without an `application/` prefix. */
  checkTyp?: string;
  /** Largest accepted token age from `iat`: seconds, or a timespan string such as `"1h"`. */
  maxAge?: number | string;
  /** Seconds of leeway for `exp`, `nbf` and `maxAge`. Default 0. */
  clockTolerance?: number;
  /** Leave `ctx.state.user` unset instead of refusing a missing or bad token. Default false. */
  passthrough?: boolean;
  /** Asked on every request, cache hit or not; true refuses with TOKEN_REVOKED. */
  isRevoked?: (ctx: Context, payload: Readonly<JwtPayload>, token: string) => boolean | Promise<boolean>;
  /** Also read the token from this cookie. */
  cookie?: string;
  /** Reads the token yourself; when it returns nothing the header and cookie are tried. */
  getToken?: (ctx: Context) => string | null | undefined | Promise<string | null | undefined>;
  /** `ctx.state` key of the payload. Default `"user"`. */
  key?: string;
  /** `ctx.state` key of the raw token string. Default: not set. */
  tokenKey?: string;
  /** `ctx.state` key of `{ token, header, payload }`. Default `"jwt"` (what `requireScope()` reads). */
  jwtKey?: string;
  /** Realm of the challenge, printable ASCII. Default `"api"`. */
  realm?: string;
  /** Cache of verified results, or false. Default `{ max: 1000, ttl: 300 }`. */
  cache?: false | JwtCacheOptions;
}

interface Entry {
  /** The whole token: the cache is keyed by its signature only (see cacheKey). */
  token: string;
  state: JwtState;
  /** An unfrozen shallow copy of the payload, the source of each request's copy. */
  claims: JwtPayload;
  /** Epoch ms from which the entry must not be used (exp, maxAge or cache ttl). */
  validUntil: number;
  /** Epoch ms before which the entry must not be used (nbf). */
  notBefore: number;
}

/** Lets `requireScope()` answer with the realm of the `jwt()` in front of it. */
export const REALM = Symbol.for('@koa-kit/jwt:realm');

const { JsonWebTokenError, NotBeforeError, TokenExpiredError } = jsonwebtoken;

// Hashing the 43-character HS256 signature instead of the whole ~180-character token: with the
// unfrozen spread below, 1,100-2,000 instructions less per cached request (benchmarks-profile.md).
// A hit still compares the whole token (entry.token === token).
function cacheKey(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The options `jwt()` knows; any other name is a mistake and throws. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'secret',
  'algorithms',
  'issuer',
  'audience',
  'subject',
  'jwtid',
  'nonce',
  'requiredClaims',
  'checkTyp',
  'maxAge',
  'clockTolerance',
  'passthrough',
  'isRevoked',
  'cookie',
  'getToken',
  'key',
  'tokenKey',
  'jwtKey',
  'realm',
  'cache',
]);
/** koa-jwt / jsonwebtoken options that are refused, and why. */
const REFUSED_OPTIONS: Readonly<Record<string, string>> = {
  ignoreExpiration: 'an expired token is always refused',
  ignoreNotBefore: 'a token before its nbf is always refused',
  clockTimestamp: 'verification always uses the current time; use "clockTolerance" for skew',
  complete: 'the header and payload are always on ctx.state.jwt',
  allowInvalidAsymmetricKeyTypes: 'the key must always fit the algorithm',
  debug: 'refusal messages are fixed strings; the underlying error is on err.cause',
};

const TIMESPAN =
  /^(\d+(?:\.\d+)?) ?(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)$/i;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31557600 };

/** A timespan string with a unit ("90s", "1h", "7 days"), in seconds, as jsonwebtoken's `ms` reads it. */
function timespan(value: string): number | undefined {
  const match = TIMESPAN.exec(value);
  if (match === null) return undefined;
  const unit = (match[2] as string).toLowerCase();
  return Number(match[1]) * (UNIT_SECONDS[unit === 'ms' ? 'ms' : (unit[0] as string)] as number);
}

function seconds(name: string, value: unknown, positive: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw optionError('jwt', `"${name}" option must be a ${positive ? 'positive' : 'non-negative'} number of seconds`);
  }
  return value;
}

/**
 * Maps a jsonwebtoken failure to a code by its class, never by its message. jsonwebtoken is asked
 * for the signature and the time claims only (exp, nbf, maxAge: TokenExpiredError and
 * NotBeforeError); everything else it could refuse (shape, algorithm, key kind, claim types) is
 * checked here before, and the other claims after. So a plain JsonWebTokenError is the signature;
 * test/regressions/jsonwebtoken-pinned.test.ts fails if jsonwebtoken starts refusing anything else.
 */
function codeOf(err: unknown): TokenErrorCode {
  if (err instanceof TokenExpiredError) return 'TOKEN_EXPIRED';
  if (err instanceof NotBeforeError) return 'TOKEN_NOT_YET_VALID';
  if (err instanceof JsonWebTokenError) return 'TOKEN_SIGNATURE_INVALID';
  return 'TOKEN_INVALID';
}

/** Claim types jsonwebtoken would refuse after the signature (a non-numeric exp or nbf; no iat with maxAge). */
function claimTypesInvalid(payload: JwtPayload, withMaxAge: boolean): boolean {
  for (const claim of ['exp', 'nbf'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') return true;
  }
  return withMaxAge && typeof payload.iat !== 'number';
}

function checkAlgorithms(value: unknown): Algorithm[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw optionError('jwt', '"algorithms" option is required: a non-empty array such as ["HS256"] or ["RS256"]');
  }
  for (const alg of value) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none')
      throw optionError('jwt', '"algorithms" option must never include "none"');
    if (!isAlgorithm(alg))
      throw optionError('jwt', `"algorithms" option: unsupported algorithm ${JSON.stringify(alg)}`);
  }
  return [...new Set(value as Algorithm[])];
}

function checkString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw optionError('jwt', `"${name}" option must be a non-empty string`);
  return value;
}

function checkFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw optionError('jwt', `"${name}" option must be a function`);
  return value;
}

/** A claim check made once: true when the claim is a string matching one entry. */
function checkMatcher(name: string, value: unknown): ((claim: unknown) => boolean) | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? [...value] : [value];
  if (list.length === 0 || !list.every((m) => (typeof m === 'string' && m !== '') || m instanceof RegExp)) {
    throw optionError('jwt', `"${name}" option must be a string, a RegExp or a non-empty array of them`);
  }
  const exact = new Set(list.filter((m): m is string => typeof m === 'string'));
  // A copy without the g/y flags: a stateful lastIndex would make the test alternate.
  const patterns = list
    .filter((m): m is RegExp => m instanceof RegExp)
    .map((r) => new RegExp(r.source, r.flags.replace(/[gy]/g, '')));
  return (claim) => typeof claim === 'string' && (exact.has(claim) || patterns.some((r) => r.test(claim)));
}

/** `typ` without case and without the optional `application/` prefix (RFC 7515 4.1.9). */
function mediaType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith('application/') ? lower.slice(12) : lower;
}

/** A resolver's way of saying "no such key" by throwing (jwks-rsa's SigningKeyNotFoundError). */
function isKeyNotFound(err: unknown): boolean {
  return err instanceof Error && err.name === 'SigningKeyNotFoundError';
}

/**
 * JWT bearer authentication on jsonwebtoken 9. Every key becomes a KeyObject here, once; tokens
 * are verified against the configured algorithms only, results are cached by token until they
 * expire (revocation is still asked every time), and refusals are 401s with RFC 6750 challenges.
 */
export function jwt(options: JwtOptions): Middleware {
  if (!isPlainObject(options)) throw optionError('jwt', 'options must be an object');
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const why = REFUSED_OPTIONS[name];
    // `ignoreExpiration: false` and the like ask for what happens anyway.
    if (why !== undefined && value === false) continue;
    if (why !== undefined) throw optionError('jwt', `"${name}" option is not supported: ${why}`);
    if (!KNOWN_OPTIONS.has(name)) throw optionError('jwt', `unknown option "${name}"`);
  }
  const algorithms = checkAlgorithms(options.algorithms);
  const realm = options.realm ?? DEFAULT_REALM;
  if (typeof realm !== 'string' || !isPrintableAscii(realm)) {
    throw optionError('jwt', '"realm" option must be a string of printable ASCII characters');
  }
  const stateKey = checkString('key', options.key) ?? 'user';
  const jwtKey = checkString('jwtKey', options.jwtKey) ?? 'jwt';
  const tokenKey = checkString('tokenKey', options.tokenKey);
  for (const [name, value] of [
    ['key', stateKey],
    ['jwtKey', jwtKey],
    ['tokenKey', tokenKey],
  ] as const) {
    if (value !== undefined && value in Object.prototype)
      throw optionError('jwt', `"${name}" option cannot be "${value}"`);
  }
  if (stateKey === jwtKey) {
    throw optionError(
      'jwt',
      `"key" and "jwtKey" options cannot both be "${jwtKey}": that key holds { token, header, payload }`,
    );
  }
  if (tokenKey === stateKey || tokenKey === jwtKey)
    throw optionError('jwt', `"tokenKey" option must differ from "key" and "jwtKey"`);
  const cookie = checkString('cookie', options.cookie);
  const getToken = checkFunction('getToken', options.getToken);
  const isRevoked = checkFunction('isRevoked', options.isRevoked);
  const passthrough = options.passthrough ?? false;
  if (typeof passthrough !== 'boolean') throw optionError('jwt', '"passthrough" option must be a boolean');
  const clockTolerance = seconds('clockTolerance', options.clockTolerance, false) ?? 0;
  const maxAge = seconds(
    'maxAge',
    typeof options.maxAge === 'string' ? (timespan(options.maxAge) ?? Number.NaN) : options.maxAge,
    true,
  );
  const subjectMatches = checkMatcher('subject', options.subject);
  const issuerMatches = checkMatcher('issuer', options.issuer);
  const audienceMatches = checkMatcher('audience', options.audience);
  const jwtid = checkString('jwtid', options.jwtid);
  const nonce = checkString('nonce', options.nonce);
  const requiredClaims = options.requiredClaims;
  if (
    requiredClaims !== undefined &&
    (!Array.isArray(requiredClaims) || !requiredClaims.every((c) => typeof c === 'string' && c !== ''))
  ) {
    throw optionError('jwt', '"requiredClaims" option must be an array of claim names');
  }
  const required = requiredClaims === undefined ? [] : [...requiredClaims];
  const checkTyp = checkString('checkTyp', options.checkTyp);
  const typ = checkTyp === undefined ? undefined : mediaType(checkTyp);

  let cache: Lru<string, Entry> | undefined;
  let ttlMs = 0;
  if (options.cache !== false) {
    const c = options.cache ?? {};
    if (!isPlainObject(c)) throw optionError('jwt', '"cache" option must be false or { max, ttl }');
    const max: unknown = c.max ?? DEFAULT_CACHE_MAX;
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0)
      throw optionError('jwt', '"cache.max" option must be a non-negative integer');
    ttlMs = (seconds('cache.ttl', c.ttl, true) ?? DEFAULT_CACHE_TTL) * 1000;
    if (max > 0) cache = new Lru(max);
  }

  // Keys: a static key is converted and checked against every algorithm now; a resolver's keys
  // are converted (memoized) and checked against the token's algorithm at verification.
  const secret = options.secret;
  let staticKeys: KeyObject[] | undefined;
  let resolver: KeyResolver | undefined;
  let memo: KeyMemo | undefined;
  if (typeof secret === 'function') {
    resolver = secret as KeyResolver;
    memo = new KeyMemo('verify');
    // A resolver that reads ctx (per-tenant keys) may answer differently per request, so a result
    // verified for one request must not be reused for another.
    if (resolver.length >= 3) cache = undefined;
  } else {
    if (secret === undefined || secret === null) throw optionError('jwt', '"secret" option is required');
    const materials = Array.isArray(secret) ? secret : [secret];
    if (materials.length === 0) throw optionError('jwt', '"secret" option must name at least one key');
    staticKeys = materials.map((material) => {
      let key: KeyObject;
      try {
        key = toKeyObject(material, 'verify');
      } catch (err) {
        throw optionError('jwt', `"secret" option: ${(err as Error).message}`);
      }
      for (const alg of algorithms) {
        const problem = keyProblem(key, alg);
        if (problem) throw optionError('jwt', `"secret" option does not fit "algorithms": ${problem.reason}`);
      }
      return key;
    });
  }

  // The signature and the time claims; the other claims are checked in check(), not by message.
  const verifyOptions: VerifyOptions = { algorithms, clockTolerance };
  if (maxAge !== undefined) verifyOptions.maxAge = maxAge;
  const allowed: ReadonlySet<string> = new Set(algorithms);
  const challenge = challenges(realm);

  function finish(token: string, header: JwtHeader, payload: JwtPayload, now: number): Entry {
    const claims = { ...payload };
    const state = { token, header: deepFreeze(header), payload: deepFreeze(payload) };
    Object.defineProperty(state, REALM, { value: realm });
    let validUntil = now + ttlMs;
    if (typeof payload.exp === 'number') validUntil = Math.min(validUntil, (payload.exp + clockTolerance) * 1000);
    if (maxAge !== undefined && typeof payload.iat === 'number') {
      validUntil = Math.min(validUntil, (payload.iat + maxAge + clockTolerance) * 1000);
    }
    const notBefore = typeof payload.nbf === 'number' ? (payload.nbf - clockTolerance) * 1000 : 0;
    const entry: Entry = { token, state: Object.freeze(state), claims, validUntil, notBefore };
    cache?.set(cacheKey(token), entry);
    return entry;
  }

  /** What is decided from the decoded token alone, before any key is looked up. */
  function precheck(header: JwtHeader): void {
    if (!allowed.has(header.alg)) throw new Refusal('TOKEN_ALGORITHM_NOT_ALLOWED');
    // RFC 7515 4.1.11: no header parameter is understood as critical, so any `crit` is refused.
    if (Object.hasOwn(header, 'crit')) throw new Refusal('TOKEN_INVALID');
    if (typ !== undefined && (typeof header.typ !== 'string' || mediaType(header.typ) !== typ))
      throw new Refusal('TOKEN_INVALID');
  }

  /** Claim types, then the signature and time claims (jsonwebtoken), then every other claim. */
  function check(token: string, keys: readonly KeyObject[], payload: JwtPayload, now: number): void {
    if (claimTypesInvalid(payload, maxAge !== undefined)) throw new Refusal('TOKEN_CLAIM_INVALID');
    for (let i = 0; ; i++) {
      try {
        jsonwebtoken.verify(token, keys[i] as KeyObject, verifyOptions);
        break;
      } catch (err) {
        // With several keys a bad signature means "try the next key"; anything else is final.
        if (i + 1 < keys.length && codeOf(err) === 'TOKEN_SIGNATURE_INVALID') continue;
        throw new Refusal(codeOf(err), err);
      }
    }
    // With maxAge, a future iat would stretch the accepted age (as in jose, only then: without
    // maxAge, iat bounds nothing and a little issuer skew must not refuse fresh tokens).
    if (maxAge !== undefined && (payload.iat as number) > now / 1000 + clockTolerance)
      throw new Refusal('TOKEN_CLAIM_INVALID', new Error('iat is in the future'));
    if (audienceMatches !== undefined) {
      const aud: unknown = payload.aud;
      if (!(Array.isArray(aud) ? aud.some(audienceMatches) : audienceMatches(aud)))
        throw new Refusal('TOKEN_AUDIENCE_INVALID');
    }
    if (issuerMatches !== undefined && !issuerMatches(payload.iss)) throw new Refusal('TOKEN_ISSUER_INVALID');
    if (subjectMatches !== undefined && !subjectMatches(payload.sub)) throw new Refusal('TOKEN_SUBJECT_INVALID');
    if (jwtid !== undefined && payload.jti !== jwtid) throw new Refusal('TOKEN_CLAIM_INVALID');
    if (nonce !== undefined && payload.nonce !== nonce) throw new Refusal('TOKEN_CLAIM_INVALID');
    for (const claim of required) {
      if (!Object.hasOwn(payload, claim) || payload[claim] === null) throw new Refusal('TOKEN_CLAIM_INVALID');
    }
  }

  function verifyStatic(token: string, now: number): Entry {
    const { header, payload } = decode(token);
    precheck(header);
    check(token, staticKeys as KeyObject[], payload, now);
    return finish(token, header, payload, now);
  }

  async function verifyResolved(ctx: Context, token: string, now: number): Promise<Entry> {
    const { header, payload } = decode(token);
    precheck(header);
    // A kid that is not a string, or names a property every object has (`__proto__`,
    // `constructor`), would let a resolver doing `keys[header.kid]` return a non-key.
    const kid: unknown = header.kid;
    if (kid !== undefined && (typeof kid !== 'string' || kid in Object.prototype))
      throw new Refusal('TOKEN_KEY_UNKNOWN');
    let material: KeyMaterial | null | undefined;
    try {
      material = await (resolver as KeyResolver)(header, payload, ctx);
    } catch (err) {
      if (createError.isHttpError(err)) throw err;
      if (isKeyNotFound(err)) throw new Refusal('TOKEN_KEY_UNKNOWN', err);
      throw serverError('JWT_KEY_RESOLVER_FAILED', err);
    }
    if (material === null || material === undefined || (material as unknown) === false)
      throw new Refusal('TOKEN_KEY_UNKNOWN');
    let key: KeyObject;
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
    check(token, [key], payload, now);
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

  /**
   * Throws the 401 (the underlying error on `err.cause`), or with `passthrough` leaves it on
   * `ctx.state.jwtOriginalError` (koa-jwt's name) and a note of the realm for `requireScope()`.
   */
  function refuse(ctx: Context, code: TokenErrorCode, cause?: unknown): void {
    const err = tokenError(code, challenge[code], cause);
    if (!passthrough) throw err;
    ctx.state.jwtOriginalError = err;
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
    const key = cache === undefined ? '' : cacheKey(token);
    let entry = cache?.get(key);
    // Another token with the same signature segment is a miss, verified on its own.
    if (entry !== undefined && entry.token !== token) entry = undefined;
    else if (entry !== undefined && (now >= entry.validUntil || now < entry.notBefore)) {
      // Expired, or past the cache ttl: drop it and verify again, which also names the reason.
      cache?.delete(key);
      entry = undefined;
    }
    if (entry === undefined) {
      try {
        entry = resolver === undefined ? verifyStatic(token, now) : await verifyResolved(ctx, token, now);
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        refuse(ctx, err.code, err.cause);
        return next();
      }
    }
    if (isRevoked !== undefined) {
      let revoked: boolean;
      try {
        revoked = await isRevoked(ctx, entry.state.payload, token);
      } catch (err) {
        throw serverError('JWT_REVOCATION_CHECK_FAILED', err);
      }
      if (revoked) {
        refuse(ctx, 'TOKEN_REVOKED');
        return next();
      }
    }
    // A shallow copy: the app may decorate ctx.state.user; the cached payload stays frozen. Spread
    // from the unfrozen copy: V8's fast object clone does not apply to a frozen source.
    ctx.state[stateKey] = { ...entry.claims } as KoaKitUser;
    ctx.state[jwtKey] = entry.state;
    if (tokenKey !== undefined) ctx.state[tokenKey] = token;
    return next();
  };
}
