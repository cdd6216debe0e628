import createError from 'http-errors';
import type { Context, Middleware, Next } from 'koa';
import { boundedId, clientKey } from './client-id.js';
import type { Counter, Hit } from './hit.js';
import { type MemoryCounter, memoryCounter } from './memory-store.js';
import { resolveOptions } from './options.js';
import { redisCounter, StoreKeyError } from './redis-store.js';
import { type SlidingCounter, slidingCounter } from './sliding-window.js';
import { socketIpReader } from './socket-ip.js';
import type { RateLimitInfo, RateLimitOptions } from './types.js';

/** After a store failure, requests get the `onStoreError` answer without asking the store for this long. */
const STORE_RETRY_MS = 1000;
/** A key of another type (one client's) is reported at most this often: it is not an outage. */
const KEY_ERROR_REPORT_MS = 60_000;
/** Retry-After of the 503 sent under `onStoreError: 'deny'`, in seconds. */
const STORE_DOWN_RETRY_AFTER = '1';

/** The key of requests whose id is empty (e.g. ctx.ip of a socket already closed): they share one count. */
const EMPTY_ID = '-';

type Verdict = boolean | Promise<boolean>;

/** A `max()` result that is not a usable limit refuses the request (fails closed) instead of opening it. */
function checkedLimit(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : 0;
}

/** Only a literal true skips the limit: a truthy object from a lookup must not open it. */
async function allows(value: Verdict): Promise<boolean> {
  return (await value) === true;
}

/** Fails closed: anything but a literal false (a Map lookup's object or undefined) refuses. */
async function denies(value: Verdict): Promise<boolean> {
  return (await value) !== false;
}

/** Appends our member to a list field an earlier limiter set (RFC 9651 lists may be combined). */
function appendMember(previous: string | number | string[] | undefined, member: string): string {
  if (previous === undefined || previous === '') return member;
  return `${Array.isArray(previous) ? previous.join(', ') : previous}, ${member}`;
}

function storeError(cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  return Object.assign(new Error(`rate-limit store failed: ${message}`, { cause }), {
    code: 'RATE_LIMIT_STORE_ERROR',
    status: 503,
    expose: false,
  });
}

/**
 * Limits each client to `max` requests per `duration` window: exactly `max` pass, the next ones get
 * a 429 HttpError (code `RATE_LIMITED`) carrying `Retry-After` and the rate-limit headers.
 */
export function rateLimit(options?: RateLimitOptions): Middleware {
  const s = resolveOptions(options);
  const { max, maxOf, headerNames, standardHeaders, allow, deny, onStoreError, ipv6Subnet } = s;
  const ipOf = socketIpReader();
  const defaultId = (ctx: Context): string => clientKey(ipOf(ctx), ipv6Subnet);
  const idOf = s.id ?? defaultId;
  const sliding = s.algorithm === 'sliding-window';
  const redis: Counter | undefined =
    s.driver === 'redis'
      ? redisCounter(s.db!, max, s.duration, s.namespace, s.storeTimeout, sliding, s.blockDuration)
      : undefined;
  const inMemory = redis === undefined;
  const memory: MemoryCounter | undefined =
    inMemory && !sliding ? memoryCounter(max, s.duration, s.maxKeys, s.blockDuration) : undefined;
  const slidingMemory: SlidingCounter | undefined =
    inMemory && sliding ? slidingCounter(max, s.duration, s.maxKeys, s.blockDuration) : undefined;
  const limitValue = String(max);
  const windowSeconds = Math.max(1, Math.ceil(s.duration / 1000));
  const policy = `"${s.namespace}";q=${max};w=${windowSeconds}`;
  // A sliding window can refuse for up to two windows (the next one still weighs this one).
  const longestWait = Math.max(sliding ? 2 * windowSeconds : windowSeconds, Math.ceil(s.blockDuration / 1000));
  /** Whole seconds until `reset`, between `floor` and the longest wait (clocks are sampled apart). */
  const secondsUntil = (reset: number, floor: number): number =>
    Math.min(longestWait, Math.max(floor, Math.ceil((reset - Date.now()) / 1000)));
  const policyPrefix = `"${s.namespace}";r=`;
  const limitText = (limit: number): string => (limit === max ? limitValue : String(limit));
  const policyFor = (limit: number): string =>
    limit === max ? policy : `"${s.namespace}";q=${limit};w=${windowSeconds}`;

  // Store health (Redis only): `downUntil` is 0 while healthy; during an outage only one request at a
  // time probes the store once `downUntil` has passed, the others get the fallback at once.
  let downUntil = 0;
  let probing = false;
  let keyErrorReportedAt = Number.NEGATIVE_INFINITY;

  const headersFor = (
    ctx: Context,
    limit: number,
    remaining: number,
    reset: number,
    seconds: number,
  ): Record<string, string> => {
    const out: Record<string, string> = {};
    if (headerNames) {
      out[headerNames.total] = limitText(limit);
      out[headerNames.remaining] = String(remaining);
      out[headerNames.reset] = String(Math.ceil(reset / 1000));
    }
    if (standardHeaders) {
      out['ratelimit-policy'] = appendMember(ctx.res.getHeader('ratelimit-policy'), policyFor(limit));
      out.ratelimit = appendMember(ctx.res.getHeader('ratelimit'), `${policyPrefix}${remaining};t=${seconds}`);
    }
    return out;
  };

  const limited = (ctx: Context, limit: number, reset: number): Error => {
    const seconds = secondsUntil(reset, 1);
    const headers = headersFor(ctx, limit, 0, reset, seconds);
    headers['Retry-After'] = String(seconds);
    const message = s.errorMessage ?? `Rate limit exceeded, retry in ${seconds} second${seconds === 1 ? '' : 's'}.`;
    return createError(429, message, { code: 'RATE_LIMITED', headers });
  };

  const { skipFailedRequests, skipSuccessfulRequests, onLimited } = s;

  /** A failing onLimited is the app's bug, reported on the app; it never turns the 429 into a 500. */
  const notifyLimited = (ctx: Context, info: RateLimitInfo): void => {
    const report = (err: unknown): void => {
      ctx.app.emit('error', err, ctx);
    };
    try {
      const result = onLimited!(ctx, { ...info });
      if (result instanceof Promise) result.catch(report);
    } catch (err) {
      report(err);
    }
  };
  const skipping = skipFailedRequests || skipSuccessfulRequests;

  /** Runs downstream, then takes the count back if the outcome is one the options skip. */
  const thenSettle = async (ctx: Context, next: Next, undo: () => void): Promise<unknown> => {
    let result: unknown;
    try {
      result = await next();
    } catch (err) {
      if (skipFailedRequests) undo();
      throw err;
    }
    if (ctx.status >= 400 ? skipFailedRequests : skipSuccessfulRequests) undo();
    return result;
  };

  /** Records the count on ctx.state, then refuses (429) or sets the headers and goes on. */
  const admit = (
    ctx: Context,
    next: Next,
    limit: number,
    allowed: boolean,
    remaining: number,
    reset: number,
    undo?: () => void,
  ): Promise<unknown> => {
    const info = { limit, remaining, reset };
    ctx.state.rateLimit = info;
    if (!allowed) {
      if (onLimited !== undefined) notifyLimited(ctx, info);
      return Promise.reject(limited(ctx, limit, reset));
    }
    if (headerNames || standardHeaders) {
      const res = ctx.res;
      if (headerNames) {
        res.setHeader(headerNames.total, limitText(limit));
        res.setHeader(headerNames.remaining, String(remaining));
        res.setHeader(headerNames.reset, String(Math.ceil(reset / 1000)));
      }
      if (standardHeaders) {
        // Lower-case names, like the defaults above: no lower-cased copy per setHeader()/getHeader().
        res.setHeader('ratelimit-policy', appendMember(res.getHeader('ratelimit-policy'), policyFor(limit)));
        const member = `${policyPrefix}${remaining};t=${secondsUntil(reset, 0)}`;
        res.setHeader('ratelimit', appendMember(res.getHeader('ratelimit'), member));
      }
    }
    return undo === undefined ? next() : thenSettle(ctx, next, undo);
  };

  const fallback = (next: Next): Promise<unknown> => {
    if (onStoreError === 'allow') return next();
    // expose: true keeps Koa's default handler from logging a stack per refused request (the outage
    // itself is reported once, as RATE_LIMIT_STORE_ERROR); the message is the generic status text.
    throw createError(503, 'Service Unavailable', {
      code: 'RATE_LIMIT_UNAVAILABLE',
      expose: true,
      headers: { 'Retry-After': STORE_DOWN_RETRY_AFTER },
    });
  };

  const guardedHit = async (ctx: Context, id: string, limit: number): Promise<Hit | undefined> => {
    let probe = false;
    if (downUntil !== 0) {
      if (probing || Date.now() < downUntil) return undefined;
      probing = probe = true;
    }
    try {
      const hit = await redis!.hit(id, limit);
      downUntil = 0;
      return hit;
    } catch (err) {
      if (err instanceof StoreKeyError) {
        // One client's key, not the store: the others keep being counted.
        const at = Date.now();
        if (at - keyErrorReportedAt >= KEY_ERROR_REPORT_MS) {
          keyErrorReportedAt = at;
          ctx.app.emit('error', storeError(err), ctx);
        }
        return undefined;
      }
      if (downUntil === 0) ctx.app.emit('error', storeError(err), ctx);
      downUntil = Date.now() + STORE_RETRY_MS;
      return undefined;
    } finally {
      if (probe) probing = false;
    }
  };

  /** Counts the request and admits or refuses it; synchronous up to next() with the memory driver. */
  const count = (ctx: Context, next: Next): Promise<unknown> => {
    const raw: unknown = idOf(ctx);
    if (raw === false) return next();
    // undefined, null or any other non-key (an array from a repeated query parameter): the client address
    const key = typeof raw === 'string' ? raw || EMPTY_ID : typeof raw === 'number' ? String(raw) : defaultId(ctx);
    const id = boundedId(key);
    if (maxOf === undefined) return countAs(ctx, next, id, max);
    const limit = maxOf(ctx);
    if (typeof limit === 'number') return countAs(ctx, next, id, checkedLimit(limit));
    return Promise.resolve(limit).then((value) => countAs(ctx, next, id, checkedLimit(value)));
  };

  /** Counts the request of `id` against `limit`. */
  const countAs = (ctx: Context, next: Next, id: string, limit: number): Promise<unknown> => {
    if (limit === 0) return admit(ctx, next, 0, false, 0, Date.now() + s.duration);
    if (memory !== undefined) {
      const window = memory.hit(id, limit);
      const allowed = window.used <= limit;
      const undo = skipping
        ? () => {
            // refused requests are counted on top (up to max + 1): the admitted count is min(used, max)
            if (memory.store.get(window.key) === window) window.used = Math.max(0, Math.min(window.used, limit) - 1);
          }
        : undefined;
      return admit(ctx, next, limit, allowed, allowed ? limit - window.used : 0, window.reset, undo);
    }
    if (slidingMemory !== undefined) {
      const hit = slidingMemory.hit(id, limit);
      const undo = skipping ? () => slidingMemory.undo(id, hit.reset) : undefined;
      return admit(ctx, next, limit, hit.allowed, hit.remaining, hit.reset, undo);
    }
    return guardedHit(ctx, id, limit).then((hit) => {
      if (hit === undefined) return fallback(next);
      const undo = skipping ? () => redis!.undo(id, hit.reset, limit) : undefined;
      return admit(ctx, next, limit, hit.allowed, hit.remaining, hit.reset, undo);
    });
  };

  const screened = async (ctx: Context, next: Next): Promise<unknown> => {
    if (deny !== undefined && (await denies(deny(ctx)))) {
      throw createError(403, 'Forbidden', { code: 'CLIENT_DENIED' });
    }
    if (allow !== undefined && (await allows(allow(ctx)))) return next();
    return count(ctx, next);
  };

  return function rateLimit(ctx: Context, next: Next): Promise<unknown> {
    if (deny !== undefined || allow !== undefined) return screened(ctx, next);
    try {
      return count(ctx, next);
    } catch (err) {
      // a throwing id(): a rejected promise, as from an async middleware
      return Promise.reject(err);
    }
  };
}
