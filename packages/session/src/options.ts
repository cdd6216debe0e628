import type { SessionKey } from './codec.js';
import { checkKnownOptions, isPositiveInteger, type SessionStore } from './store.js';

/** Default cookie name. */
export const DEFAULT_KEY = 'koa.sess';
/** Default cookie and session lifetime: one day, in ms. */
export const DEFAULT_MAX_AGE = 86_400_000;
/** Default time a store call may take before the request fails with 503, in ms. */
export const DEFAULT_STORE_TIMEOUT = 2_000;
/** Default number of verified cookie values remembered, so a returning visitor is not re-verified. */
export const DEFAULT_CACHE_SIZE = 1_000;

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
  /** Default `'lax'`; false omits the attribute. */
  sameSite?: 'lax' | 'strict' | 'none' | false;
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
}

const KNOWN = [
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
] as const;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SAME_SITE = new Set(['lax', 'strict', 'none', false]);

function bool(options: SessionOptions, name: keyof SessionOptions, fallback: boolean): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`session: "${name}" option must be a boolean`);
  return value;
}

/** Checks keys given as an option or found on `app.keys`; returns an error message or undefined. */
export function keysProblem(keys: unknown): string | undefined {
  if (!Array.isArray(keys) || keys.length === 0) return 'must be a non-empty array of strings or Buffers';
  for (const key of keys) {
    const ok = (typeof key === 'string' || Buffer.isBuffer(key)) && key.length > 0;
    if (!ok) return 'must hold only non-empty strings or Buffers';
  }
  return undefined;
}

export function resolveOptions(options: SessionOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('session: options must be an object');
  checkKnownOptions('session', options, KNOWN);

  const key = options.key ?? DEFAULT_KEY;
  if (typeof key !== 'string' || !TOKEN.test(key)) {
    throw new TypeError('session: "key" option must be a cookie name (an HTTP token)');
  }
  let keys: readonly SessionKey[] | undefined;
  if (options.keys !== undefined) {
    const problem = keysProblem(options.keys);
    if (problem) throw new TypeError(`session: "keys" option ${problem}`);
    keys = Object.freeze([...options.keys]);
  }
  const maxAge = options.maxAge ?? DEFAULT_MAX_AGE;
  if (maxAge !== 'session' && !isPositiveInteger(maxAge)) {
    throw new TypeError('session: "maxAge" option must be a positive integer (ms) or "session"');
  }
  const sameSite = options.sameSite ?? 'lax';
  if (!SAME_SITE.has(sameSite))
    throw new TypeError('session: "sameSite" option must be "lax", "strict", "none" or false');
  const secure = options.secure;
  if (secure !== undefined && typeof secure !== 'boolean')
    throw new TypeError('session: "secure" option must be a boolean');
  const path = options.path ?? '/';
  if (typeof path !== 'string' || !/^\/[ -:=-~]*$/.test(path)) {
    throw new TypeError('session: "path" option must be a cookie path starting with "/"');
  }
  const domain = options.domain;
  if (domain !== undefined && (typeof domain !== 'string' || !/^\.?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(domain))) {
    throw new TypeError('session: "domain" option must be a domain name');
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
    throw new TypeError('session: "store" option must have get, set and destroy methods');
  }
  const storeTimeout = options.storeTimeout ?? DEFAULT_STORE_TIMEOUT;
  if (!isPositiveInteger(storeTimeout))
    throw new TypeError('session: "storeTimeout" option must be a positive integer (ms)');
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new TypeError('session: "cacheSize" option must be a non-negative integer');
  }
  const signed = bool(options, 'signed', true);
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
  };
}
