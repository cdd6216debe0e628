import { createPublicKey, type KeyObject } from 'node:crypto';
import { isPlainObject, optionError } from '@koa-kit/common';
import createError from 'http-errors';
import type { JwtHeader } from './decode.js';
import { SERVER_ERRORS } from './errors.js';
import type { KeyResolver } from './jwt.js';

/** Seconds the fetched key set is used before it is fetched again. */
export const DEFAULT_JWKS_CACHE_TTL = 600;
/** Least seconds between two fetches, however many unknown `kid`s or failures arrive. */
export const DEFAULT_JWKS_COOLDOWN = 30;
/** Seconds a fetch of the key set may take. */
export const DEFAULT_JWKS_TIMEOUT = 5;
/** Largest key set body read, in bytes. */
const MAX_BODY_BYTES = 512 * 1024;

export interface JwksOptions {
  /** URL of the JSON Web Key Set (`https:`, or `http:` on a network you trust). */
  uri: string;
  /** Seconds the key set is reused. Default 600. */
  cacheTtl?: number;
  /** Least seconds between fetches (an unknown `kid` refetches at most this often). Default 30. */
  cooldown?: number;
  /** Seconds a fetch may take. Default 5. */
  timeout?: number;
}

interface SigningKey {
  key: KeyObject;
  /** The JWK's `alg`, when it names one: the token's `alg` must then be the same. */
  alg: string | undefined;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw optionError('jwks', `"${name}" option must be a positive number of seconds`);
  }
  return value;
}

/** The asymmetric signing keys of a JWKS document, by `kid`; anything else is skipped. */
function signingKeys(document: unknown): Map<string, SigningKey> {
  const keys = new Map<string, SigningKey>();
  const list = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('the JWKS document has no "keys" array');
  for (const jwk of list) {
    if (jwk === null || typeof jwk !== 'object') continue;
    const { kid, kty, use, alg } = jwk as Record<string, unknown>;
    // Symmetric keys never come from a URL; a key meant for encryption never verifies.
    if (typeof kid !== 'string' || kid === '' || typeof kty !== 'string' || kty === 'oct') continue;
    if (use !== undefined && use !== 'sig') continue;
    try {
      keys.set(kid, {
        key: createPublicKey({ key: { ...jwk }, format: 'jwk' }),
        alg: typeof alg === 'string' ? alg : undefined,
      });
    } catch {
      // An unreadable key is as good as absent.
    }
  }
  return keys;
}

/**
 * A key resolver for `jwt({ secret: jwks({ uri }) })` that reads a JSON Web Key Set over HTTP. The
 * set is cached for `cacheTtl`; a token with an unknown `kid` triggers a refetch at most once per
 * `cooldown` (concurrent requests share one fetch), so hostile `kid`s cannot cause a fetch storm.
 * Tokens need a `kid`. When the set cannot be fetched and no earlier copy exists, requests are
 * answered 503 JWKS_UNAVAILABLE with `Retry-After`.
 */
export function jwks(options: JwksOptions): KeyResolver {
  if (!isPlainObject(options)) throw optionError('jwks', 'options must be an object');
  let url: URL;
  try {
    url = new URL(options.uri);
  } catch {
    throw optionError('jwks', '"uri" option must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw optionError('jwks', '"uri" option must be an http(s) URL');
  const ttlMs = positive('cacheTtl', options.cacheTtl, DEFAULT_JWKS_CACHE_TTL) * 1000;
  const cooldownMs = positive('cooldown', options.cooldown, DEFAULT_JWKS_COOLDOWN) * 1000;
  const timeoutMs = positive('timeout', options.timeout, DEFAULT_JWKS_TIMEOUT) * 1000;
  const retryAfter = String(Math.ceil(cooldownMs / 1000));

  let keys: Map<string, SigningKey> | undefined;
  let fetchedAt = 0;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let lastFailure: unknown;

  async function load(): Promise<void> {
    attemptedAt = Date.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (res.status !== 200) throw new Error(`the JWKS endpoint answered ${res.status}`);
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > MAX_BODY_BYTES) throw new Error('the JWKS document is too large');
      keys = signingKeys(JSON.parse(body.toString('utf8')));
      fetchedAt = Date.now();
      lastFailure = undefined;
    } catch (err) {
      lastFailure = err;
    }
  }

  /** Fetches unless a fetch ran less than `cooldown` ago; concurrent callers share one fetch. */
  function refresh(): Promise<void> {
    if (inflight === undefined && Date.now() - attemptedAt >= cooldownMs) {
      inflight = load().finally(() => {
        inflight = undefined;
      });
    }
    return inflight ?? Promise.resolve();
  }

  return async function jwksKey(header: JwtHeader): Promise<KeyObject | null> {
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '') return null;
    if (keys === undefined || Date.now() - fetchedAt >= ttlMs || !keys.has(kid)) await refresh();
    if (keys === undefined) {
      throw createError(503, SERVER_ERRORS.JWKS_UNAVAILABLE, {
        code: 'JWKS_UNAVAILABLE',
        expose: false,
        cause: lastFailure,
        headers: { 'Retry-After': retryAfter },
      });
    }
    const found = keys.get(kid);
    if (found === undefined || (found.alg !== undefined && found.alg !== header.alg)) return null;
    return found.key;
  };
}
