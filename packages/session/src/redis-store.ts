import { storeUnavailable } from './errors.js';
import { DEFAULT_STORE_TTL } from './memory-store.js';
import { checkKnownOptions, isPositiveInteger, type SessionRecord, type SessionStore, toJson } from './store.js';

/** Default prefix of the Redis keys holding sessions. */
export const DEFAULT_REDIS_PREFIX = 'koa-kit:sess:';

/**
 * The part of a Redis client this store uses: an ioredis 5 client (or cluster), or a node-redis
 * 4/5 client (`createClient()` from `redis` / `@redis/client`, connected). Declared here so that
 * neither becomes a dependency.
 */
export type RedisClientLike = IoRedisLike | NodeRedisLike;

interface IoRedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'PX', milliseconds: number): Promise<unknown>;
  del(key: string): Promise<number>;
  /** ioredis's connection state ('ready', 'reconnecting', 'end', ...). */
  readonly status?: string;
  /** Any command (used by the `userField` index). */
  call?(command: string, ...args: string[]): Promise<unknown>;
}

interface NodeRedisLike {
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options: { PX: number }): Promise<unknown>;
  del(key: string): Promise<unknown>;
  /** node-redis: true while connected (it queues commands while it is not). */
  readonly isReady: boolean;
  /** Any command (used by the `userField` index). */
  sendCommand?(args: string[]): Promise<unknown>;
}

function isNodeRedis(client: RedisClientLike): client is NodeRedisLike {
  return typeof (client as { isReady?: unknown }).isReady === 'boolean';
}

export interface RedisStoreOptions {
  /** A connected ioredis or node-redis client. Required. */
  client: RedisClientLike;
  /** Prefix of every key. Default `'koa-kit:sess:'`. */
  prefix?: string;
  /** Lifetime in ms of entries saved without a numeric maxAge (`maxAge: 'session'`). Default one day. */
  ttl?: number;
  /**
   * The session field holding the user's id (e.g. `'userId'`): each save of a session with it
   * also records the session id under `prefix + 'by-user:' + userId`, so that
   * `store.destroyUser(userId)` can log that user out everywhere. Default: no index.
   */
  userField?: string;
}

/** `redisStore()`'s store: a SessionStore, plus log-out-everywhere when `userField` is set. */
export interface RedisSessionStore extends SessionStore {
  /**
   * Destroys every session saved with `data[userField] === userId` (needs `userField`); resolves
   * to the number of sessions deleted. Call it on a password change or "log out everywhere".
   */
  destroyUser(userId: string): Promise<number>;
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
export function redisStore(options: RedisStoreOptions): RedisSessionStore {
  if (options === null || typeof options !== 'object') throw new TypeError('redisStore: options must be an object');
  checkKnownOptions('redisStore', options, ['client', 'prefix', 'ttl', 'userField']);
  const { client } = options;
  if (
    client === null ||
    typeof client !== 'object' ||
    typeof client.get !== 'function' ||
    typeof client.set !== 'function' ||
    typeof client.del !== 'function'
  ) {
    throw new TypeError('redisStore: "client" option must be an ioredis or node-redis client (with get, set and del)');
  }
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  if (typeof prefix !== 'string') throw new TypeError('redisStore: "prefix" option must be a string');
  const ttl = options.ttl ?? DEFAULT_STORE_TTL;
  if (!isPositiveInteger(ttl)) throw new TypeError('redisStore: "ttl" option must be a positive integer (ms)');

  const userField = options.userField;
  if (userField !== undefined && (typeof userField !== 'string' || userField === '')) {
    throw new TypeError('redisStore: "userField" option must be a non-empty string');
  }
  const nodeRedis = isNodeRedis(client);
  const command = nodeRedis
    ? client.sendCommand?.bind(client)
    : (client as IoRedisLike).call && ((args: string[]) => (client as IoRedisLike).call!(args[0]!, ...args.slice(1)));
  if (userField !== undefined && command === undefined) {
    throw new TypeError('redisStore: "userField" needs a client with call() (ioredis) or sendCommand() (node-redis)');
  }
  const userIndex = (userId: string): string => `${prefix}by-user:${userId}`;
  const ensureUp = (): void => {
    if (nodeRedis) {
      if (!client.isReady) throw storeUnavailable(new Error('Redis connection is not ready'));
      return;
    }
    const status = (client as IoRedisLike).status;
    if (status !== undefined && DOWN.has(status)) {
      throw storeUnavailable(new Error(`Redis connection is ${status}`));
    }
  };
  const setWithExpiry = (key: string, json: string, milliseconds: number): Promise<unknown> =>
    nodeRedis
      ? client.set(key, json, { PX: milliseconds })
      : (client as IoRedisLike).set(key, json, 'PX', milliseconds);

  return {
    async get(id: string): Promise<SessionRecord | undefined> {
      ensureUp();
      const text = await client.get(prefix + id);
      if (typeof text !== 'string') return undefined;
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
      const lifetime = Math.max(1, Math.ceil(maxAge ?? ttl));
      await setWithExpiry(prefix + id, json, lifetime);
      const userId = userField === undefined ? undefined : data[userField];
      if (typeof userId === 'string' || typeof userId === 'number') {
        const index = userIndex(String(userId));
        await command!(['SADD', index, id]);
        // the index lives as long as its longest-lived session: extended, never shortened
        // (PTTL then PEXPIRE rather than PEXPIRE GT, which needs Redis 7)
        const left = Number(await command!(['PTTL', index]));
        if (left < lifetime) await command!(['PEXPIRE', index, String(lifetime)]);
      }
    },
    async destroy(id: string): Promise<void> {
      ensureUp();
      await client.del(prefix + id);
    },
    async destroyUser(userId: string): Promise<number> {
      if (userField === undefined) throw new TypeError('redisStore: destroyUser() needs the "userField" option');
      ensureUp();
      const index = userIndex(String(userId));
      const ids = (await command!(['SMEMBERS', index])) as string[];
      if (ids.length === 0) return 0;
      const deleted = await command!(['DEL', ...ids.map((id) => prefix + id)]);
      await command!(['DEL', index]);
      return Number(deleted);
    },
  };
}
