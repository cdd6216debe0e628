import { optionError, optionsObject } from '@koa-kit/common';
import type { Context } from 'koa';
import { parseDuration } from './duration.js';
import type { RateLimitInfo, RateLimitOptions, RateLimitPredicate, RateLimitRedisClient } from './types.js';

export const DEFAULT_MAX = 2500;
export const DEFAULT_DURATION_MS = 3_600_000;
export const DEFAULT_NAMESPACE = 'limit';
export const DEFAULT_IPV6_SUBNET = 64;
export const DEFAULT_STORE_TIMEOUT_MS = 500;
export const DEFAULT_MAX_KEYS = 100_000;
// Lower case: setHeader() then builds and internalizes no lower-cased key (~2,500 instructions per response).
export const DEFAULT_HEADER_NAMES = {
  total: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
} as const;

export const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'driver',
  'db',
  'algorithm',
  'max',
  'duration',
  'id',
  'ipv6Subnet',
  'allow',
  'deny',
  'namespace',
  'headers',
  'disableHeader',
  'standardHeaders',
  'errorMessage',
  'onStoreError',
  'storeTimeout',
  'maxKeys',
  'onLimited',
  'blockDuration',
  'skipFailedRequests',
  'skipSuccessfulRequests',
]);
/** koa-ratelimit 6 options this package names differently or refuses: the hint its TypeError gives. */
const RENAMED: Record<string, string> = {
  whitelist: 'use allow',
  blacklist: 'use deny',
  throw: 'use nothing (refusals are always thrown)',
  status: 'use nothing (a refusal is always 429, the status RateLimit and Retry-After are defined for)',
};

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Printable ASCII without space, `"` or `\`: safe in a Redis key and inside a structured-field string. */
const NAMESPACE = /^[!#-[\]-~]{1,200}$/;

export interface Settings {
  driver: 'memory' | 'redis';
  db: RateLimitRedisClient | undefined;
  algorithm: 'fixed-window' | 'sliding-window';
  max: number;
  /** `max` given as a function of the request. */
  maxOf: ((ctx: Context) => number | Promise<number>) | undefined;
  duration: number;
  id: ((ctx: Context) => string | number | false) | undefined;
  ipv6Subnet: number | false;
  allow: RateLimitPredicate | undefined;
  deny: RateLimitPredicate | undefined;
  namespace: string;
  headerNames: { total: string; remaining: string; reset: string } | undefined;
  standardHeaders: boolean;
  errorMessage: string | undefined;
  onStoreError: 'allow' | 'deny';
  storeTimeout: number;
  maxKeys: number;
  skipFailedRequests: boolean;
  skipSuccessfulRequests: boolean;
  onLimited: ((ctx: Context, info: RateLimitInfo) => unknown) | undefined;
  /** ms a client stays refused after its first refusal; 0: none. */
  blockDuration: number;
}

function fail(name: string, what: string): never {
  throw optionError('rateLimit', `"${name}" option ${what}`);
}

function positiveInteger(name: string, value: unknown, fallback: number, limit = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > limit) {
    fail(name, `must be an integer from 1 to ${limit}`);
  }
  return value;
}

function optionalFunction<T>(name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') fail(name, 'must be a function');
  return value as T;
}

function optionalBoolean(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') fail(name, 'must be a boolean');
  return value;
}

/** Checks every option once, when `rateLimit()` is called; never mutates the caller's object. */
export function resolveOptions(options: RateLimitOptions | undefined): Settings {
  options = optionsObject('rateLimit', options);
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(key)) continue;
    const hint = RENAMED[key];
    if (hint) fail(key, `is not supported by @koa-kit/rate-limit: ${hint}`);
    throw optionError('rateLimit', `unknown option ${JSON.stringify(key)}`);
  }
  const o = options as Record<string, unknown>;

  const db = o.db as RateLimitRedisClient | undefined;
  if (db instanceof Map) {
    fail(
      'db',
      "is a Map: koa-ratelimit's memory driver needs one, this one keeps its own bounded store (remove db; size it with maxKeys)",
    );
  }
  if (db !== undefined) {
    if (db === null || typeof db !== 'object' || typeof db.evalsha !== 'function' || typeof db.eval !== 'function') {
      fail('db', 'must be an ioredis client (with evalsha and eval)');
    }
  }
  let driver = o.driver;
  if (driver === undefined) driver = db ? 'redis' : 'memory';
  if (driver !== 'memory' && driver !== 'redis') fail('driver', 'must be "memory" or "redis"');
  if (driver === 'redis' && !db) fail('db', 'is required with driver "redis" (an ioredis client)');
  if (driver === 'memory' && db) fail('db', 'is only used with driver "redis"');

  let duration = DEFAULT_DURATION_MS;
  if (o.duration !== undefined) {
    const parsed = parseDuration(o.duration);
    if (parsed === undefined) {
      fail('duration', "must be a number of milliseconds (1 ms to 365 days) or a string such as '30s', '1m', '1h'");
    }
    duration = parsed;
  }

  let ipv6Subnet: number | false = DEFAULT_IPV6_SUBNET;
  if (o.ipv6Subnet !== undefined) {
    const v = o.ipv6Subnet;
    if (v !== false && (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 128)) {
      fail('ipv6Subnet', 'must be an integer from 1 to 128, or false');
    }
    ipv6Subnet = v as number | false;
  }

  let namespace = DEFAULT_NAMESPACE;
  if (o.namespace !== undefined) {
    if (typeof o.namespace !== 'string' || !NAMESPACE.test(o.namespace)) {
      fail('namespace', 'must be 1 to 200 printable ASCII characters without space, quote or backslash');
    }
    namespace = o.namespace;
  }

  const disableHeader = optionalBoolean('disableHeader', o.disableHeader);
  let headerNames: Settings['headerNames'] = { ...DEFAULT_HEADER_NAMES };
  if (o.headers !== undefined) {
    const h = o.headers as Record<string, unknown>;
    if (h === null || typeof h !== 'object' || Array.isArray(h)) fail('headers', 'must be an object');
    for (const key of Object.keys(h)) {
      if (key !== 'total' && key !== 'remaining' && key !== 'reset') {
        fail(`headers.${key}`, 'is not a header name option (total, remaining, reset)');
      }
      const name = h[key];
      if (name === undefined) continue;
      if (typeof name !== 'string' || !TOKEN.test(name)) fail(`headers.${key}`, 'must be a valid header name');
      headerNames[key] = name;
    }
  }
  if (disableHeader) headerNames = undefined;

  if (o.errorMessage !== undefined && typeof o.errorMessage !== 'string') fail('errorMessage', 'must be a string');
  let blockDuration = 0;
  if (o.blockDuration !== undefined) {
    const parsed = parseDuration(o.blockDuration);
    if (parsed === undefined || parsed < duration) {
      fail('blockDuration', 'must be a duration (ms or a string such as \'15m\') of at least "duration"');
    }
    blockDuration = parsed;
  }
  const algorithm = o.algorithm ?? 'fixed-window';
  if (algorithm !== 'fixed-window' && algorithm !== 'sliding-window') {
    fail('algorithm', 'must be "fixed-window" or "sliding-window"');
  }
  const onStoreError = o.onStoreError ?? 'allow';
  if (onStoreError !== 'allow' && onStoreError !== 'deny') fail('onStoreError', 'must be "allow" or "deny"');

  return {
    driver,
    db,
    algorithm,
    max: typeof o.max === 'function' ? DEFAULT_MAX : positiveInteger('max', o.max, DEFAULT_MAX),
    maxOf: typeof o.max === 'function' ? (o.max as Settings['maxOf']) : undefined,
    duration,
    id: optionalFunction('id', o.id),
    ipv6Subnet,
    allow: optionalFunction('allow', o.allow),
    deny: optionalFunction('deny', o.deny),
    namespace,
    headerNames,
    standardHeaders: optionalBoolean('standardHeaders', o.standardHeaders),
    errorMessage: o.errorMessage as string | undefined,
    onStoreError,
    storeTimeout: positiveInteger('storeTimeout', o.storeTimeout, DEFAULT_STORE_TIMEOUT_MS, 60_000),
    maxKeys: positiveInteger('maxKeys', o.maxKeys, DEFAULT_MAX_KEYS),
    onLimited: optionalFunction('onLimited', o.onLimited),
    blockDuration,
    skipFailedRequests: optionalBoolean('skipFailedRequests', o.skipFailedRequests),
    skipSuccessfulRequests: optionalBoolean('skipSuccessfulRequests', o.skipSuccessfulRequests),
  };
}
