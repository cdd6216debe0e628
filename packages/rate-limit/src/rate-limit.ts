import createError from 'http-errors';
import type { Context, Middleware, Next } from 'koa';
import { boundedId, clientKey } from './client-id.js';
import type { Counter, Hit } from './hit.js';
import { type MemoryCounter, memoryCounter } from './memory-store.js';
import { resolveOptions } from './options.js';
import { redisCounter } from './redis-store.js';
import { socketIpReader } from './socket-ip.js';
import type { RateLimitOptions } from './types.js';

/** After a store failure, requests get the `onStoreError` answer without asking the store for this long. */
const STORE_RETRY_MS = 1000;
/** Retry-After of the 503 sent under `onStoreError: 'deny'`, in seconds. */
const STORE_DOWN_RETRY_AFTER = '1';

/** The key of requests whose id is empty (e.g. ctx.ip of a socket already closed): they share one count. */
const EMPTY_ID = '-';

type Verdict = boolean | Promise<boolean>;

async function settle(value: Verdict): Promise<boolean> {
  return (await value) === true;
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
  const { max, headerNames, standardHeaders, allow, deny, onStoreError, ipv6Subnet } = s;
  const ipOf = socketIpReader();
  const idOf = s.id ?? ((ctx: Context): string => clientKey(ipOf(ctx), ipv6Subnet));
  const redis: Counter | undefined =
    s.driver === 'redis' ? redisCounter(s.db!, max, s.duration, s.namespace, s.storeTimeout) : undefined;
  const memory: MemoryCounter | undefined = redis === undefined ? memoryCounter(max, s.duration, s.maxKeys) : undefined;
  const limitValue = String(max);
  const windowSeconds = Math.max(1, Math.ceil(s.duration / 1000));
  const policy = `"${s.namespace}";q=${max};w=${windowSeconds}`;
  /** Whole seconds until `reset`, between `floor` and the window length (clocks are sampled apart). */
  const secondsUntil = (reset: number, floor: number): number =>
    Math.min(windowSeconds, Math.max(floor, Math.ceil((reset - Date.now()) / 1000)));
  const policyPrefix = `"${s.namespace}";r=`;

  // Store health (Redis only): `downUntil` is 0 while healthy; during an outage only one request at a
  // time probes the store once `downUntil` has passed, the others get the fallback at once.
  let downUntil = 0;
  let probing = false;

  const headersFor = (remaining: number, reset: number, seconds: number): Record<string, string> => {
    const out: Record<string, string> = {};
    if (headerNames) {
      out[headerNames.total] = limitValue;
      out[headerNames.remaining] = String(remaining);
      out[headerNames.reset] = String(Math.ceil(reset / 1000));
    }
    if (standardHeaders) {
      out['RateLimit-Policy'] = policy;
      out.RateLimit = `${policyPrefix}${remaining};t=${seconds}`;
    }
    return out;
  };

  const limited = (reset: number): Error => {
    const seconds = secondsUntil(reset, 1);
    const headers = headersFor(0, reset, seconds);
    headers['Retry-After'] = String(seconds);
    const message = s.errorMessage ?? `Rate limit exceeded, retry in ${seconds} second${seconds === 1 ? '' : 's'}.`;
    return createError(429, message, { code: 'RATE_LIMITED', headers });
  };

  /** Records the count on ctx.state, then refuses (429) or sets the headers and goes on. */
  const admit = (ctx: Context, next: Next, allowed: boolean, remaining: number, reset: number): Promise<unknown> => {
    ctx.state.rateLimit = { limit: max, remaining, reset };
    if (!allowed) return Promise.reject(limited(reset));
    if (headerNames || standardHeaders) {
      const res = ctx.res;
      if (headerNames) {
        res.setHeader(headerNames.total, limitValue);
        res.setHeader(headerNames.remaining, String(remaining));
        res.setHeader(headerNames.reset, String(Math.ceil(reset / 1000)));
      }
      if (standardHeaders) {
        res.setHeader('RateLimit-Policy', policy);
        res.setHeader('RateLimit', `${policyPrefix}${remaining};t=${secondsUntil(reset, 0)}`);
      }
    }
    return next();
  };

  const fallback = (next: Next): Promise<unknown> => {
    if (onStoreError === 'allow') return next();
    throw createError(503, 'Rate limit store unavailable', {
      code: 'RATE_LIMIT_UNAVAILABLE',
      expose: false,
      headers: { 'Retry-After': STORE_DOWN_RETRY_AFTER },
    });
  };

  const guardedHit = async (ctx: Context, id: string): Promise<Hit | undefined> => {
    let probe = false;
    if (downUntil !== 0) {
      if (probing || Date.now() < downUntil) return undefined;
      probing = probe = true;
    }
    try {
      const hit = await redis!.hit(id);
      downUntil = 0;
      return hit;
    } catch (err) {
      if (downUntil === 0) ctx.app.emit('error', storeError(err), ctx);
      downUntil = Date.now() + STORE_RETRY_MS;
      return undefined;
    } finally {
      if (probe) probing = false;
    }
  };

  /** Counts the request and admits or refuses it; synchronous up to next() with the memory driver. */
  const count = (ctx: Context, next: Next): Promise<unknown> => {
    const raw = idOf(ctx);
    if (raw === false) return next();
    const id = boundedId(typeof raw === 'string' ? raw || EMPTY_ID : String(raw));
    if (memory !== undefined) {
      const window = memory.hit(id);
      const allowed = window.used <= max;
      return admit(ctx, next, allowed, allowed ? max - window.used : 0, window.reset);
    }
    return guardedHit(ctx, id).then((hit) =>
      hit === undefined ? fallback(next) : admit(ctx, next, hit.allowed, hit.remaining, hit.reset),
    );
  };

  const screened = async (ctx: Context, next: Next): Promise<unknown> => {
    if (deny !== undefined && (await settle(deny(ctx)))) {
      throw createError(403, 'Forbidden', { code: 'CLIENT_DENIED' });
    }
    if (allow !== undefined && (await settle(allow(ctx)))) return next();
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
