import type { Context } from 'koa';

/** What `ctx.state.rateLimit` holds after a request was counted. */
export interface RateLimitInfo {
  /** Requests allowed per window (`max`). */
  limit: number;
  /** Requests this client may still make in the current window (0 when this one was refused). */
  remaining: number;
  /** When the current window ends: Unix time in milliseconds. */
  reset: number;
}

declare module 'koa' {
  interface DefaultState {
    /** Set by `@koa-kit/rate-limit` on every request it counted (not on allowed or skipped ones). */
    rateLimit?: RateLimitInfo;
  }
}

/**
 * The part of an ioredis client (`Redis` or `Cluster`) this package uses. Declared here so the
 * package's types never depend on ioredis; any client with these two methods works.
 */
export interface RateLimitRedisClient {
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  /**
   * ioredis' connection state. While it is `'reconnecting'`, `'close'` or `'end'` (or `'connecting'`
   * again after Redis has answered once) the limiter does not send (ioredis would queue the command
   * until Redis is back) and answers with `onStoreError` at once.
   */
  readonly status?: string;
}

/** Names of the `X-RateLimit-*` response headers (koa-ratelimit's option of the same name). */
export interface RateLimitHeaderNames {
  /** Default `x-ratelimit-limit`. */
  total?: string;
  /** Default `x-ratelimit-remaining`. */
  remaining?: string;
  /** Default `x-ratelimit-reset` (Unix time in seconds). */
  reset?: string;
}

/** A predicate on the request; may return a promise. */
export type RateLimitPredicate = (ctx: Context) => boolean | Promise<boolean>;

export interface RateLimitOptions {
  /** `'memory'` (one bounded store per `rateLimit()` call) or `'redis'` (needs `db`). Default: `'redis'` when `db` is given, else `'memory'`. */
  driver?: 'memory' | 'redis';
  /** An ioredis client (`new Redis(url)`), for `driver: 'redis'`. */
  db?: RateLimitRedisClient;
  /**
   * `'fixed-window'` (a window starts at a client's first request; up to 2 x max around a boundary) or
   * `'sliding-window'` (aligned windows, the previous one weighted by how much of it still overlaps). Default `'fixed-window'`.
   */
  algorithm?: 'fixed-window' | 'sliding-window';
  /**
   * Requests allowed per window and client, or a function of the request giving it (per plan, say).
   * A result that is not an integer of at least 1 refuses the request (429). Default 2500.
   */
  max?: number | ((ctx: Context) => number | Promise<number>);
  /** Window length: milliseconds, or a string such as `'30s'`, `'1m'`, `'1h'`. Default `'1h'`. */
  duration?: number | string;
  /** The client key. Default: `ctx.ip` (IPv6 by /64). Return `false` to skip limiting for this request. */
  id?: (ctx: Context) => string | number | false;
  /** Prefix length IPv6 clients are keyed by with the default `id`; `false` keys each address. Default 64. */
  ipv6Subnet?: number | false;
  /** When it returns true the request is not limited (nor counted). */
  allow?: RateLimitPredicate;
  /** When it returns true the request is refused with 403 `CLIENT_DENIED`. Checked before `allow`. */
  deny?: RateLimitPredicate;
  /** Separates limiters sharing a Redis (key `<namespace>:<id>`); also the policy name in `RateLimit` fields. Default `'limit'`. */
  namespace?: string;
  /** Names of the `x-ratelimit-*` headers, sent as given (any casing). */
  headers?: RateLimitHeaderNames;
  /** Leave out the `X-RateLimit-*` headers. Default false. */
  disableHeader?: boolean;
  /** Also send the IETF `RateLimit` and `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers-08 and later). Default false. */
  standardHeaders?: boolean;
  /** Message of the 429 error. Default `'Rate limit exceeded, retry in <n> seconds.'` */
  errorMessage?: string;
  /** What requests get while the store fails or times out. Default `'allow'`. */
  onStoreError?: 'allow' | 'deny';
  /** Longest wait for one Redis call, in milliseconds. Default 500. */
  storeTimeout?: number;
  /** Most clients the memory store tracks at once. Default 100000. */
  maxKeys?: number;
  /**
   * Once a client is refused, it stays refused this long (from that first refusal), even after its
   * window ends: milliseconds or a string such as `'15m'`, at least `duration`. Default: no block.
   */
  blockDuration?: number | string;
  /**
   * Called with each request refused with 429, before the error is thrown (logging, metrics). What it
   * returns is ignored; an error it throws or rejects with is emitted on the app and the 429 still goes out.
   */
  onLimited?: (ctx: Context, info: RateLimitInfo) => unknown;
  /** Take back the count of a request whose response is an error (status >= 400, or it threw). Default false. */
  skipFailedRequests?: boolean;
  /** Take back the count of a request whose response is not an error (status < 400): count only failures, e.g. failed logins. Default false. */
  skipSuccessfulRequests?: boolean;
}
