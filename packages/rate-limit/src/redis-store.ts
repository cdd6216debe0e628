import { createHash } from 'node:crypto';
import type { Counter, Hit } from './hit.js';
import type { RateLimitRedisClient } from './types.js';

/**
 * Fixed windows counted atomically on the Redis server, with the server's clock, so every process
 * sharing the Redis sees one count. For each key: INCR, and the window's expiry set when it starts.
 * Returns, per key, the count including this request and the ms until its window ends.
 */
export const WINDOW_SCRIPT = `local ttl = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, ttl)
    left = ttl
  end
  out[2 * i - 1] = n
  out[2 * i] = left
end
return out`;

const WINDOW_SHA = createHash('sha1').update(WINDOW_SCRIPT).digest('hex');

/** Most keys counted by one script call. */
export const MAX_BATCH = 128;

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

type Resolve = (hit: Hit) => void;
type Reject = (err: unknown) => void;

/**
 * A counter on Redis. The requests that arrive in one turn of the event loop are counted by one
 * EVALSHA (EVAL once after a Redis restart flushed the script cache): at most one round trip per
 * request, far fewer under load. Each call is bounded by `timeout` ms, so a down or slow Redis never
 * holds a request, and nothing is sent while ioredis knows it is disconnected or reconnecting (it
 * would queue the command and run it late). With a Redis Cluster client, each request is its own call (keys of one
 * call must share a slot).
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
  const batchLimit = (client as { isCluster?: unknown }).isCluster === true ? 1 : MAX_BATCH;

  // Once Redis has answered, 'connecting' means reconnecting: a command sent then would wait in the
  // offline queue and run after the outage, counting a request that was answered long before.
  let answered = false;
  let keys: string[] = [];
  let resolvers: Resolve[] = [];
  let rejecters: Reject[] = [];

  const call = async (batch: string[]): Promise<unknown> => {
    try {
      return await client.evalsha(WINDOW_SHA, batch.length, ...batch, ttl);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return client.eval(WINDOW_SCRIPT, batch.length, ...batch, ttl);
    }
  };

  const send = (batch: string[], ok: Resolve[], fail: Reject[]): void => {
    let settled = false;
    const failAll = (err: unknown): void => {
      if (settled) return;
      settled = true;
      for (const f of fail) f(err);
    };
    const timer = setTimeout(() => failAll(new StoreTimeoutError(timeout)), timeout);
    call(batch).then(
      (reply) => {
        clearTimeout(timer);
        if (settled) return;
        if (!Array.isArray(reply) || reply.length !== batch.length * 2) {
          failAll(new TypeError('unexpected reply from the rate-limit script'));
          return;
        }
        settled = true;
        answered = true;
        const now = Date.now();
        for (let i = 0; i < ok.length; i++) {
          const count = Number(reply[2 * i]);
          const left = Number(reply[2 * i + 1]);
          ok[i]!({ allowed: count <= max, remaining: count < max ? max - count : 0, reset: now + left });
        }
      },
      (err: unknown) => {
        clearTimeout(timer);
        failAll(err);
      },
    );
  };

  const flush = (): void => {
    const batch = keys;
    const ok = resolvers;
    const fail = rejecters;
    keys = [];
    resolvers = [];
    rejecters = [];
    for (let i = 0; i < batch.length; i += batchLimit) {
      send(batch.slice(i, i + batchLimit), ok.slice(i, i + batchLimit), fail.slice(i, i + batchLimit));
    }
  };

  return {
    hit(id: string): Promise<Hit> {
      const status = client.status;
      if (status !== undefined && (DOWN_STATES.has(status) || (answered && status === 'connecting'))) {
        return Promise.reject(new StoreDisconnectedError(status));
      }
      return new Promise<Hit>((resolve, reject) => {
        if (keys.length === 0) setImmediate(flush);
        keys.push(prefix + id);
        resolvers.push(resolve);
        rejecters.push(reject);
      });
    },
  };
}
