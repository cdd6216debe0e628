import { createHash } from 'node:crypto';
import type { Counter, Hit } from './hit.js';
import type { RateLimitRedisClient } from './types.js';

/**
 * One fixed window per key, counted atomically on the Redis server with the server's clock, so every
 * process sharing the Redis sees one count: INCR, and the window's expiry set when it starts.
 * Returns { count including this request, ms until the window ends }.
 */
export const WINDOW_SCRIPT = `local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

const WINDOW_SHA = createHash('sha1').update(WINDOW_SCRIPT).digest('hex');

/** ioredis states in which a command would wait in the offline queue instead of being sent. */
const DOWN_STATES = new Set(['reconnecting', 'close', 'end']);

/** Raised when the client is disconnected: nothing was sent. */
export class StoreDisconnectedError extends Error {
  readonly code = 'RATE_LIMIT_STORE_DISCONNECTED';
  constructor(status: string) {
    super(`rate-limit store is disconnected (client status "${status}")`);
    this.name = 'StoreDisconnectedError';
  }
}

/** Raised when the store did not answer within `storeTimeout`. */
export class StoreTimeoutError extends Error {
  readonly code = 'RATE_LIMIT_STORE_TIMEOUT';
  constructor(ms: number) {
    super(`rate-limit store did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

function toHit(reply: unknown, max: number): Hit {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
    throw new TypeError('unexpected reply from the rate-limit script');
  }
  const count = reply[0];
  return { allowed: count <= max, remaining: count < max ? max - count : 0, reset: Date.now() + reply[1] };
}

/**
 * A counter on Redis: one EVALSHA per request (EVAL once after a Redis restart flushed the script
 * cache), each call bounded by `timeout` ms so a down or slow Redis never holds a request, and no call
 * at all while ioredis knows it is disconnected (it would queue the command, to run it late).
 */
export function redisCounter(
  client: RateLimitRedisClient,
  max: number,
  duration: number,
  namespace: string,
  timeout: number,
): Counter {
  const prefix = `${namespace}:`;
  const ttl = String(duration);

  const call = async (key: string): Promise<unknown> => {
    try {
      return await client.evalsha(WINDOW_SHA, 1, key, ttl);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return client.eval(WINDOW_SCRIPT, 1, key, ttl);
    }
  };

  return {
    hit(id: string): Promise<Hit> {
      const status = client.status;
      if (status !== undefined && DOWN_STATES.has(status)) return Promise.reject(new StoreDisconnectedError(status));
      return new Promise<Hit>((resolve, reject) => {
        const timer = setTimeout(() => reject(new StoreTimeoutError(timeout)), timeout);
        call(prefix + id).then(
          (reply) => {
            clearTimeout(timer);
            try {
              resolve(toHit(reply, max));
            } catch (err) {
              reject(err);
            }
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err);
          },
        );
      });
    },
  };
}
