import { createHash } from 'node:crypto';
import { isPlainObject, optionError, rejectUnknownOptions } from '@koa-kit/common';
import { storeUnavailable } from './errors.js';
import { DEFAULT_STORE_TTL } from './memory-store.js';
import {
  type ConflictMode,
  conflictMode,
  isPositiveInteger,
  type SessionRecord,
  type SessionStore,
  toJson,
} from './store.js';

/** Default prefix of the Redis keys holding sessions. */
export const DEFAULT_REDIS_PREFIX = 'koa-kit:sess:';

const KNOWN: ReadonlySet<string> = new Set(['client', 'prefix', 'ttl', 'userField', 'conflicts']);
const fail = (detail: string): TypeError => optionError('redisStore', detail);

/**
 * The part of a Redis client this store uses: an ioredis 5 client or `Cluster`, or a node-redis
 * 4/5 client (`createClient()` from `redis` / `@redis/client`, connected). Declared here so that
 * neither becomes a dependency.
 */
export type RedisClientLike = IoRedisLike | NodeRedisLike | NodeRedisClusterLike;

interface IoRedisLike {
  /** ioredis's connection state ('ready', 'reconnecting', 'end', ...). */
  readonly status?: string;
  /** Any command. */
  call(command: string, ...args: string[]): Promise<unknown>;
}

interface NodeRedisLike {
  /** node-redis: true while connected (it queues commands while it is not). */
  readonly isReady: boolean;
  /** Any command. */
  sendCommand(args: string[]): Promise<unknown>;
}

interface NodeRedisClusterLike {
  /** node-redis cluster: true while connected. */
  readonly isOpen: boolean;
  readonly masters: unknown;
  /** Any command, routed by its key. */
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
}

function isNodeRedis(client: RedisClientLike): client is NodeRedisLike {
  return typeof (client as { isReady?: unknown }).isReady === 'boolean';
}

function isNodeRedisCluster(client: RedisClientLike): client is NodeRedisClusterLike {
  return !isNodeRedis(client) && 'masters' in client && typeof (client as { isOpen?: unknown }).isOpen === 'boolean';
}

export interface RedisStoreOptions {
  /** A connected ioredis client or `Cluster`, or a node-redis client or cluster. Required. */
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
  /**
   * A write of a session that another request changed since this one read it: `'overwrite'`
   * (default: the last write wins) or `'refuse'` (a 409 SESSION_CONFLICT). A session destroyed
   * since it was read is never written back, in either mode.
   */
  conflicts?: ConflictMode;
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
 * Writes a session if the revision read (ARGV[4], '' for a new session) allows it; one key, so it
 * runs on any cluster node. Returns the new revision, -1 (gone: read, then destroyed or expired)
 * or -2 (changed since read, with ARGV[5] = 'refuse').
 */
const WRITE = `
local kind = redis.call('TYPE', KEYS[1])['ok']
local rev = false
if kind == 'hash' then rev = redis.call('HGET', KEYS[1], 'r') elseif kind ~= 'none' then redis.call('DEL', KEYS[1]) end
if ARGV[4] ~= '' then
  if not rev then return -1 end
  if ARGV[5] == 'refuse' and rev ~= ARGV[4] then return -2 end
end
local next = (tonumber(rev) or 0) + 1
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'e', ARGV[2], 'r', next)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return next`;

/**
 * Refreshes a session's expiry (field and TTL) without rewriting its data: 0 when it is gone, or
 * is not a hash (an entry of the previous version, a JSON string, reads as no session too).
 */
const TOUCH = `
if redis.call('TYPE', KEYS[1])['ok'] ~= 'hash' then return 0 end
redis.call('HSET', KEYS[1], 'e', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');
const WRITE_SHA = sha1(WRITE);
const TOUCH_SHA = sha1(TOUCH);

/**
 * A Redis session store. Each session is one hash under `prefix + id` (`d`: the data as JSON,
 * `e`: its `_expire`, `r`: its revision), expiring with the session (`PEXPIRE`); every command and
 * script touches one key, so a Redis Cluster needs no hash tags. Several processes or machines
 * sharing one Redis share their sessions.
 */
export function redisStore(options: RedisStoreOptions): RedisSessionStore {
  if (!isPlainObject(options as unknown)) throw fail('options must be an object');
  rejectUnknownOptions('redisStore', options, KNOWN);
  const { client } = options;
  if (
    client === null ||
    typeof client !== 'object' ||
    !(typeof (client as IoRedisLike).call === 'function' || typeof (client as NodeRedisLike).sendCommand === 'function')
  ) {
    throw fail('"client" option must be an ioredis client or cluster, or a node-redis client or cluster');
  }
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  if (typeof prefix !== 'string') throw fail('"prefix" option must be a string');
  const ttl = options.ttl ?? DEFAULT_STORE_TTL;
  if (!isPositiveInteger(ttl)) throw fail('"ttl" option must be a positive integer (ms)');
  const mode = conflictMode('redisStore', options.conflicts);

  const userField = options.userField;
  if (userField !== undefined && (typeof userField !== 'string' || userField === '')) {
    throw fail('"userField" option must be a non-empty string');
  }
  const nodeRedis = isNodeRedis(client);
  const nodeCluster = isNodeRedisCluster(client);
  /** Sends a command on the one key it touches (a node-redis cluster routes by it). */
  const command: (key: string, args: string[]) => Promise<unknown> = nodeRedis
    ? (_key, args) => client.sendCommand(args)
    : nodeCluster
      ? (key, args) => client.sendCommand(key, false, args)
      : (_key, args) => (client as IoRedisLike).call(args[0]!, ...args.slice(1));
  const userIndex = (userId: string): string => `${prefix}by-user:${userId}`;
  const ensureUp = (): void => {
    if (nodeRedis || nodeCluster) {
      if (!(nodeRedis ? client.isReady : client.isOpen))
        throw storeUnavailable(new Error('Redis connection is not ready'));
      return;
    }
    const status = (client as IoRedisLike).status;
    if (status !== undefined && DOWN.has(status)) {
      throw storeUnavailable(new Error(`Redis connection is ${status}`));
    }
  };
  /** EVALSHA, loading the script with EVAL where the node does not have it yet. */
  const script = async (source: string, sha: string, key: string, args: string[]): Promise<number> => {
    try {
      return Number(await command(key, ['EVALSHA', sha, '1', key, ...args]));
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      return Number(await command(key, ['EVAL', source, '1', key, ...args]));
    }
  };
  const lifetimeOf = (maxAge: number | undefined): number => Math.max(1, Math.ceil(maxAge ?? ttl));
  const expireOf = (data: SessionRecord): string => (typeof data._expire === 'number' ? String(data._expire) : '');

  return {
    async get(id: string): Promise<SessionRecord | undefined> {
      ensureUp();
      let fields: unknown;
      try {
        fields = await command(prefix + id, ['HMGET', prefix + id, 'd', 'e', 'r']);
      } catch (err) {
        // a key holding something else (the previous version's JSON string, or not ours) is no session
        if (err instanceof Error && err.message.startsWith('WRONGTYPE')) return undefined;
        throw err;
      }
      const [text, expire, rev] = fields as Array<string | null>;
      if (typeof text !== 'string') return undefined;
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        return undefined;
      }
      if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
      const record = data as SessionRecord;
      if (expire) record._expire = Number(expire);
      record._rev = Number(rev);
      return record;
    },
    async set(id: string, data: SessionRecord, maxAge: number | undefined): Promise<false | number> {
      const { _expire, _rev: read, ...rest } = data;
      const json = toJson(rest);
      ensureUp();
      const lifetime = lifetimeOf(maxAge);
      const rev = await script(WRITE, WRITE_SHA, prefix + id, [
        json,
        expireOf(data),
        String(lifetime),
        read === undefined ? '' : String(read),
        mode,
      ]);
      if (rev < 0) return false;
      const userId = userField === undefined ? undefined : data[userField];
      if (typeof userId === 'string' || typeof userId === 'number') {
        const index = userIndex(String(userId));
        await command(index, ['SADD', index, id]);
        // the index lives as long as its longest-lived session: extended, never shortened
        // (PTTL then PEXPIRE rather than PEXPIRE GT, which needs Redis 7)
        const left = Number(await command(index, ['PTTL', index]));
        if (left < lifetime) await command(index, ['PEXPIRE', index, String(lifetime)]);
      }
      return rev;
    },
    async touch(id: string, data: SessionRecord, maxAge: number | undefined): Promise<boolean> {
      ensureUp();
      return (await script(TOUCH, TOUCH_SHA, prefix + id, [expireOf(data), String(lifetimeOf(maxAge))])) === 1;
    },
    async destroy(id: string): Promise<void> {
      ensureUp();
      await command(prefix + id, ['DEL', prefix + id]);
    },
    async destroyUser(userId: string): Promise<number> {
      if (userField === undefined) throw fail('destroyUser() needs the "userField" option');
      ensureUp();
      const index = userIndex(String(userId));
      const ids = (await command(index, ['SMEMBERS', index])) as string[];
      // one DEL per session: the keys hash to different cluster slots
      const deleted = await Promise.all(ids.map((id) => command(prefix + id, ['DEL', prefix + id])));
      await command(index, ['DEL', index]);
      return deleted.reduce<number>((sum, n) => sum + Number(n), 0);
    },
  };
}
