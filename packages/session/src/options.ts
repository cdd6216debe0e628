import { isPlainObject, optionError, rejectUnknownOptions } from '@koa-kit/common';
import type { ParameterizedContext } from 'koa';
import type { SessionKey } from './codec.js';
import { isPositiveInteger, type SessionStore } from './store.js';
import type { Session } from './types.js';

/** Default cookie name. */
export const DEFAULT_KEY = 'koa.sess';
/** Default cookie and session lifetime: one day, in ms. */
export const DEFAULT_MAX_AGE = 86_400_000;
/** Default time a store call may take before the request fails with 503, in ms. */
export const DEFAULT_STORE_TIMEOUT = 2_000;
/** Default number of verified cookie values remembered, so a returning visitor is not re-verified. */
export const DEFAULT_CACHE_SIZE = 1_000;
/**
 * Server-side lifetime of a browser-session cookie (`maxAge: 'session'`), in ms: one day, renewed
 * like `maxAge` (when `renew` and less than half is left), so a copied cookie does not live forever.
 */
export const BROWSER_SESSION_LIFETIME = 86_400_000;
/** Shortest signing key accepted, in bytes (HMAC-SHA256 and the HKDF-derived AES-256 keys). */
export const MIN_KEY_BYTES = 32;

export interface SessionOptions {
  /** Cookie name. Default `'koa.sess'`. */
  key?: string;
  /** Signing keys (first signs, all verify); default `app.keys`. Also the source of the encryption keys. */
  keys?: readonly SessionKey[];
  /** Cookie and session lifetime in ms, or `'session'` for a browser-session cookie. Default one day. */
  maxAge?: number | 'session';
  /** Re-issue the cookie on every response (resets the expiry countdown). Default false. */
  rolling?: boolean;
  /** Re-issue the cookie when less than half of maxAge is left. Default true. */
  renew?: boolean;
  /** Default true. */
  httpOnly?: boolean;
  /** Default `'lax'`; false omits the attribute; true is `'strict'` (as in Cookies). */
  sameSite?: 'lax' | 'strict' | 'none' | boolean;
  /** Default: true on HTTPS requests (`ctx.secure`, which honours X-Forwarded-Proto when `app.proxy`). */
  secure?: boolean;
  /** Cookie path. Default `'/'`. */
  path?: string;
  /** Cookie domain. Default: none (host-only cookie). */
  domain?: string;
  /** Sign the cookie with Keygrip (sha256). Default true. */
  signed?: boolean;
  /** Keep sessions in this store and only an id in the cookie. Default: the data in an encrypted cookie. */
  store?: SessionStore;
  /** Longest a store call may take (ms) before the request fails with 503. Default 2000. */
  storeTimeout?: number;
  /** Verified cookie values remembered (0 turns the cache off). Default 1000. */
  cacheSize?: number;
  /** Commit after downstream (false: call `ctx.session.manuallyCommit()` yourself). Default true. */
  autoCommit?: boolean;
  /** Extra check of loaded data; false gives a fresh session and emits `session:invalid`. */
  valid?: (ctx: ParameterizedContext<any, any, any>, data: Record<string, unknown>) => unknown;
  /** Called just before a session is saved. */
  beforeSave?: (ctx: ParameterizedContext<any, any, any>, session: Session) => void;
  /** Store sessions: makes a new session id. Default `crypto.randomUUID()`. */
  genid?: (ctx: ParameterizedContext<any, any, any>) => string;
  /** Store sessions: prefix of generated session ids (ignored with `genid`). */
  prefix?: string;
}

export interface ResolvedOptions {
  key: string;
  keys: readonly SessionKey[] | undefined;
  maxAge: number | 'session';
  rolling: boolean;
  renew: boolean;
  httpOnly: boolean;
  sameSite: 'lax' | 'strict' | 'none' | false;
  secure: boolean | undefined;
  path: string;
  domain: string | undefined;
  signed: boolean;
  store: SessionStore | undefined;
  storeTimeout: number;
  cacheSize: number;
  autoCommit: boolean;
  valid: SessionOptions['valid'];
  beforeSave: SessionOptions['beforeSave'];
  genid: SessionOptions['genid'];
  prefix: string | undefined;
}

const KNOWN: ReadonlySet<string> = new Set([
  'key',
  'keys',
  'maxAge',
  'rolling',
  'renew',
  'httpOnly',
  'sameSite',
  'secure',
  'path',
  'domain',
  'signed',
  'store',
  'storeTimeout',
  'cacheSize',
  'autoCommit',
  'valid',
  'beforeSave',
  'genid',
  'prefix',
]);

/** koa-session options we do not take, and what to use instead. */
const REFUSED: Readonly<Record<string, string>> = {
  overwrite: 'the session cookie always overwrites an earlier one set on the same response',
  encode: 'cookie sessions are always encrypted JSON (AES-256-GCM); keep custom formats in a store',
  decode: 'cookie sessions are always encrypted JSON (AES-256-GCM); keep custom formats in a store',
  ContextStore: 'pass a store object as "store"; it receives { ctx } as its last argument',
  externalKey: 'the session id travels in the signed cookie named by "key"',
};

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SAME_SITE = new Set(['lax', 'strict', 'none', false, true]);

/** koa-session options spelt differently here. */
const RENAMED: Readonly<Record<string, string>> = { maxage: 'maxAge' };

const fail = (detail: string): TypeError => optionError('session', detail);

function bool(options: SessionOptions, name: keyof SessionOptions, fallback: boolean): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw fail(`"${name}" option must be a boolean`);
  return value;
}

/** Checks keys given as an option or found on `app.keys`; returns an error message or undefined. */
export function keysProblem(keys: unknown): string | undefined {
  if (!Array.isArray(keys) || keys.length === 0) return 'must be a non-empty array of strings or Buffers';
  for (const key of keys) {
    if (!(typeof key === 'string' || Buffer.isBuffer(key)) || key.length === 0) {
      return 'must hold only non-empty strings or Buffers';
    }
    if (Buffer.byteLength(key) < MIN_KEY_BYTES) {
      return `must hold keys of at least ${MIN_KEY_BYTES} bytes (e.g. crypto.randomBytes(32).toString('base64'))`;
    }
  }
  return undefined;
}

export function resolveOptions(options: SessionOptions): ResolvedOptions {
  if (!isPlainObject(options as unknown)) throw fail('options must be an object');
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(RENAMED, name)) throw fail(`unknown option "${name}" (use "${RENAMED[name]}")`);
    if (Object.hasOwn(REFUSED, name)) throw fail(`"${name}" option is not supported: ${REFUSED[name]}`);
  }
  rejectUnknownOptions('session', options, KNOWN);

  const key = options.key ?? DEFAULT_KEY;
  if (typeof key !== 'string' || !TOKEN.test(key)) {
    throw fail('"key" option must be a cookie name (an HTTP token)');
  }
  let keys: readonly SessionKey[] | undefined;
  if (options.keys !== undefined) {
    const problem = keysProblem(options.keys);
    if (problem) throw fail(`"keys" option ${problem}`);
    keys = Object.freeze([...options.keys]);
  }
  const maxAge = options.maxAge ?? DEFAULT_MAX_AGE;
  if (maxAge !== 'session' && !isPositiveInteger(maxAge)) {
    throw fail('"maxAge" option must be a positive integer (ms) or "session"');
  }
  const sameSiteOption = options.sameSite ?? 'lax';
  if (!SAME_SITE.has(sameSiteOption)) throw fail('"sameSite" option must be "lax", "strict", "none", true or false');
  const sameSite = sameSiteOption === true ? 'strict' : sameSiteOption;
  const secure = options.secure;
  if (secure !== undefined && typeof secure !== 'boolean') throw fail('"secure" option must be a boolean');
  const path = options.path ?? '/';
  if (typeof path !== 'string' || !/^\/[ -:=-~]*$/.test(path)) {
    throw fail('"path" option must be a cookie path starting with "/"');
  }
  const domain = options.domain;
  if (domain !== undefined && (typeof domain !== 'string' || !/^\.?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(domain))) {
    throw fail('"domain" option must be a domain name');
  }
  const store = options.store;
  if (
    store !== undefined &&
    (store === null ||
      typeof store !== 'object' ||
      typeof store.get !== 'function' ||
      typeof store.set !== 'function' ||
      typeof store.destroy !== 'function')
  ) {
    throw fail('"store" option must have get, set and destroy methods');
  }
  const storeTimeout = options.storeTimeout ?? DEFAULT_STORE_TIMEOUT;
  if (!isPositiveInteger(storeTimeout)) throw fail('"storeTimeout" option must be a positive integer (ms)');
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw fail('"cacheSize" option must be a non-negative integer');
  }
  const signed = bool(options, 'signed', true);
  const valid = fn(options, 'valid');
  const beforeSave = fn(options, 'beforeSave');
  const genid = fn(options, 'genid');
  const prefix = options.prefix;
  if (prefix !== undefined && typeof prefix !== 'string') throw fail('"prefix" option must be a string');
  if (store === undefined && (genid !== undefined || prefix !== undefined)) {
    throw fail(`"${genid ? 'genid' : 'prefix'}" option needs a "store" (cookie sessions have no id)`);
  }
  return {
    key,
    keys,
    maxAge,
    rolling: bool(options, 'rolling', false),
    renew: bool(options, 'renew', true),
    httpOnly: bool(options, 'httpOnly', true),
    sameSite,
    secure,
    path,
    domain,
    signed,
    store,
    storeTimeout,
    cacheSize,
    autoCommit: bool(options, 'autoCommit', true),
    valid,
    beforeSave,
    genid,
    prefix,
  };
}

function fn<K extends 'valid' | 'beforeSave' | 'genid'>(options: SessionOptions, name: K): SessionOptions[K] {
  const value = options[name];
  if (value !== undefined && typeof value !== 'function') throw fail(`"${name}" option must be a function`);
  return value;
}
