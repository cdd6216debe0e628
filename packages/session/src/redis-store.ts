import { storeUnavailable } from './errors.js';
import { DEFAULT_STORE_TTL } from './memory-store.js';
import { checkKnownOptions, isPositiveInteger, type SessionRecord, type SessionStore, toJson } from './store.js';

/** Default prefix of the Redis keys holding sessions. */
export const DEFAULT_REDIS_PREFIX = 'koa-kit:sess:';

/**
 * The part of an ioredis client this store uses (ioredis 5 satisfies it; so does a cluster).
 * Declared here so that ioredis stays an optional peer dependency.
 */
export interface RedisClientLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'PX', milliseconds: number): Promise<unknown>;
  del(key: string): Promise<number>;
  /** ioredis's connection state ('ready', 'reconnecting', 'end', ...). */
  readonly status?: string;
}

export interface RedisStoreOptions {
  /** A connected ioredis client (or anything with the same get/set/del). Required. */
  client: RedisClientLike;
  /** Prefix of every key. Default `'koa-kit:sess:'`. */
  prefix?: string;
  /** Lifetime in ms of entries saved without a numeric maxAge (`maxAge: 'session'`). Default one day. */
  ttl?: number;
}

/**
 * States in which ioredis would queue a command until it reconnects: fail at once instead, so a
 * Redis outage costs a quick 503 rather than a queue that grows for as long as Redis is away.
 */
const DOWN = new Set(['reconnecting', 'end', 'close']);

/**
 * A Redis session store: JSON values under `prefix + id`, expiring with the session (`SET ... PX`).
 * Several processes or machines sharing one Redis share their sessions.
 */
export function redisStore(options: RedisStoreOptions): SessionStore {
  if (options === null || typeof options !== 'object') throw new TypeError('redisStore: options must be an object');
  checkKnownOptions('redisStore', options, ['client', 'prefix', 'ttl']);
  const { client } = options;
  if (
    client === null ||
    typeof client !== 'object' ||
    typeof client.get !== 'function' ||
    typeof client.set !== 'function' ||
    typeof client.del !== 'function'
  ) {
    throw new TypeError('redisStore: "client" option must be an ioredis client (with get, set and del)');
  }
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  if (typeof prefix !== 'string') throw new TypeError('redisStore: "prefix" option must be a string');
  const ttl = options.ttl ?? DEFAULT_STORE_TTL;
  if (!isPositiveInteger(ttl)) throw new TypeError('redisStore: "ttl" option must be a positive integer (ms)');

  const ensureUp = (): void => {
    const status = client.status;
    if (status !== undefined && DOWN.has(status)) {
      throw storeUnavailable(new Error(`Redis connection is ${status}`));
    }
  };

  return {
    async get(id: string): Promise<SessionRecord | undefined> {
      ensureUp();
      const text = await client.get(prefix + id);
      if (text === null) return undefined;
      try {
        const data: unknown = JSON.parse(text);
        return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as SessionRecord) : undefined;
      } catch {
        return undefined;
      }
    },
    async set(id: string, data: SessionRecord, maxAge: number | undefined): Promise<void> {
      const json = toJson(data);
      ensureUp();
      await client.set(prefix + id, json, 'PX', Math.max(1, Math.ceil(maxAge ?? ttl)));
    },
    async destroy(id: string): Promise<void> {
      ensureUp();
      await client.del(prefix + id);
    },
  };
}
