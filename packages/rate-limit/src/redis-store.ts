import { createHash } from 'node:crypto';
import type { Counter, Hit } from './hit.js';
import type { RateLimitRedisClient } from './types.js';

/**
 * Fixed windows counted atomically on the Redis server, with the server's clock, so every process
 * sharing the Redis sees one count. For each key: INCR, and the window's expiry set when it starts
 * (or, with blockDuration, pushed out to the block's end by the first refused request). ARGV: ttl,
 * block ms (0: none), then each key's max.
 * Returns, per key, the count including this request and the ms until its window ends; -1 for a
 * key INCR refused (another type, WRONGTYPE): `pcall`, so one such key fails only its own client.
 */
export const WINDOW_SCRIPT = `local ttl = tonumber(ARGV[1])
local block = tonumber(ARGV[2])
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.pcall('INCR', key)
  if type(n) == 'table' then
    out[2 * i - 1] = -1
    out[2 * i] = 0
  else
    local left = redis.call('PTTL', key)
    if left < 0 then
      redis.call('PEXPIRE', key, ttl)
      left = ttl
    end
    if block > 0 and n == tonumber(ARGV[2 + i]) + 1 then
      redis.call('PEXPIRE', key, block)
      left = block
    end
    out[2 * i - 1] = n
    out[2 * i] = left
  end
end
return out`;

/**
 * The segment after the namespace in every key: koa-ratelimit keeps its sorted sets at
 * `<namespace>:<id>`, so a Redis shared during a migration holds both without collisions.
 */
export const KEY_SEGMENT = 'kk:';
/** The sliding window's keys are hashes: a segment of their own, so switching algorithm never hits WRONGTYPE. */
export const SLIDING_KEY_SEGMENT = 'kk-sw:';

/**
 * The sliding window (see sliding-window.ts) in one hash per client (`i` window index, `c` its
 * admitted count, `p` the previous window's, `b` the end of a block), on the Redis clock. ARGV:
 * duration, block ms (0: none), then each key's max. Returns per key: remaining + 1
 * when admitted, 0 when refused, -1 for a key of another type; then the ms until the window ends
 * (admitted) or until a request would be admitted (refused).
 */
export const SLIDING_SCRIPT = `local d = tonumber(ARGV[1])
local block = tonumber(ARGV[2])
local time = redis.call('TIME')
local t = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local index = math.floor(t / d)
local start = index * d
local elapsed = t - start
local out = {}
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[2 + i])
  local state = redis.pcall('HMGET', key, 'i', 'c', 'p', 'b')
  local blocked = not state.err and tonumber(state[4]) or 0
  if state.err then
    out[2 * i - 1] = -1
    out[2 * i] = 0
  elseif blocked > t then
    out[2 * i - 1] = 0
    out[2 * i] = blocked - t
  else
    local c = tonumber(state[2]) or 0
    local p = tonumber(state[3]) or 0
    local stored = tonumber(state[1])
    if stored ~= index then
      if stored == index - 1 then p = c else p = 0 end
      c = 0
    end
    local estimate = p * (d - elapsed) / d + c
    if estimate + 1 <= max then
      redis.call('HSET', key, 'i', string.format('%d', index), 'c', c + 1, 'p', p)
      redis.call('PEXPIREAT', key, string.format('%d', start + 2 * d))
      out[2 * i - 1] = math.floor(max - estimate - 1) + 1
      out[2 * i] = start + d - t
    else
      local wait
      if c <= max - 1 then
        wait = math.max(0, math.ceil(d * (1 - (max - 1 - c) / p) - elapsed))
      else
        wait = math.ceil(d - elapsed + d * (1 - (max - 1) / c))
      end
      if block > 0 then
        redis.call('HSET', key, 'b', string.format('%d', t + block))
        redis.call('PEXPIREAT', key, string.format('%d', math.max(start + 2 * d, t + block)))
        wait = block
      end
      out[2 * i - 1] = 0
      out[2 * i] = wait
    end
  end
end
return out`;

/**
 * Takes back one admitted request (skipFailedRequests / skipSuccessfulRequests). ARGV: algorithm
 * (`f` or `s`), duration, max, ms until the window of the hit ends. Fixed: only while the key is
 * still that window (its PTTL is no longer than that, give or take a second), down to max - 1 when
 * refused requests were counted on top. Sliding: from whichever field that window's count is in now.
 */
export const UNDO_SCRIPT = `local key = KEYS[1]
local d = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local left = tonumber(ARGV[4])
if ARGV[1] == 'f' then
  local pttl = redis.call('PTTL', key)
  if pttl > 0 and pttl <= left + 1000 then
    local n = tonumber(redis.pcall('GET', key))
    if n and n > 0 then redis.call('DECRBY', key, n - math.min(n, max) + 1) end
  end
  return 0
end
local time = redis.call('TIME')
local t = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local hit = math.floor((t + left) / d + 0.5) - 1
local state = redis.pcall('HMGET', key, 'i', 'c', 'p')
if state.err then return 0 end
local stored = tonumber(state[1])
if stored == hit and (tonumber(state[2]) or 0) > 0 then
  redis.call('HINCRBY', key, 'c', -1)
elseif stored == hit + 1 and (tonumber(state[3]) or 0) > 0 then
  redis.call('HINCRBY', key, 'p', -1)
end
return 0`;

const sha1 = (script: string): string => createHash('sha1').update(script).digest('hex');

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/**
 * The Redis Cluster hash slot of a key (CRC16-XMODEM of its UTF-8 bytes, or of its `{hash tag}`
 * when it has a non-empty one, modulo 16384), as the cluster computes it: one script call may only
 * touch keys of one slot.
 */
export function hashSlot(key: string): number {
  let bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc & 0x3fff;
}

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

/** Raised for one client whose key holds a value the script cannot count (not a counter). */
export class StoreKeyError extends Error {
  readonly code = 'RATE_LIMIT_STORE_KEY';
  constructor() {
    super('rate-limit store key holds a value of another type (WRONGTYPE)');
    this.name = 'StoreKeyError';
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
 * would queue the command and run it late). With a Redis Cluster client (`isCluster`), one call per
 * hash slot: the keys of one script call must share a slot.
 */
export function redisCounter(
  client: RateLimitRedisClient,
  max: number,
  duration: number,
  namespace: string,
  timeout: number,
  sliding = false,
  block = 0,
): Counter {
  const prefix = `${namespace}:${sliding ? SLIDING_KEY_SEGMENT : KEY_SEGMENT}`;
  const script = sliding ? SLIDING_SCRIPT : WINDOW_SCRIPT;
  const sha = sha1(script);
  const ttl = String(duration);
  const blockArg = String(block);
  const isCluster = (client as { isCluster?: unknown }).isCluster === true;

  // Once Redis has answered, 'connecting' means reconnecting: a command sent then would wait in the
  // offline queue and run after the outage, counting a request that was answered long before.
  let answered = false;
  const undoSha = sha1(UNDO_SCRIPT);
  const undoMode = sliding ? 's' : 'f';
  let keys: string[] = [];
  let limits: number[] = [];
  let resolvers: Resolve[] = [];
  let rejecters: Reject[] = [];

  const call = async (batch: string[], batchLimits: number[]): Promise<unknown> => {
    const args = [ttl, blockArg, ...batchLimits.map(String)];
    try {
      return await client.evalsha(sha, batch.length, ...batch, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return client.eval(script, batch.length, ...batch, ...args);
    }
  };

  const send = (batch: string[], batchLimits: number[], ok: Resolve[], fail: Reject[]): void => {
    let settled = false;
    const failAll = (err: unknown): void => {
      if (settled) return;
      settled = true;
      for (const f of fail) f(err);
    };
    const timer = setTimeout(() => failAll(new StoreTimeoutError(timeout)), timeout);
    call(batch, batchLimits).then(
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
          if (count < 0) {
            fail[i]!(new StoreKeyError());
            continue;
          }
          const left = Number(reply[2 * i + 1]);
          const max = batchLimits[i]!;
          if (sliding) ok[i]!({ allowed: count > 0, remaining: count > 0 ? count - 1 : 0, reset: now + left });
          else ok[i]!({ allowed: count <= max, remaining: count < max ? max - count : 0, reset: now + left });
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
    const batchLimits = limits;
    const ok = resolvers;
    const fail = rejecters;
    keys = [];
    limits = [];
    resolvers = [];
    rejecters = [];
    if (!isCluster) {
      for (let i = 0; i < batch.length; i += MAX_BATCH) {
        const end = i + MAX_BATCH;
        send(batch.slice(i, end), batchLimits.slice(i, end), ok.slice(i, end), fail.slice(i, end));
      }
      return;
    }
    // A cluster refuses a script whose keys are in different slots (CROSSSLOT): one call per slot
    // (requests of one client in this turn, or of clients that happen to share a slot).
    const bySlot = new Map<number, number[]>();
    for (let i = 0; i < batch.length; i++) {
      const slot = hashSlot(batch[i]!);
      const group = bySlot.get(slot);
      if (group) group.push(i);
      else bySlot.set(slot, [i]);
    }
    for (const group of bySlot.values()) {
      for (let i = 0; i < group.length; i += MAX_BATCH) {
        const part = group.slice(i, i + MAX_BATCH);
        send(
          part.map((j) => batch[j]!),
          part.map((j) => batchLimits[j]!),
          part.map((j) => ok[j]!),
          part.map((j) => fail[j]!),
        );
      }
    }
  };

  const isDown = (status: string | undefined): boolean =>
    status !== undefined && (DOWN_STATES.has(status) || (answered && status === 'connecting'));

  return {
    undo(id: string, reset: number, limit = max): void {
      if (isDown(client.status)) return;
      const args = [undoMode, String(duration), String(limit), String(Math.max(0, reset - Date.now()))];
      client
        .evalsha(undoSha, 1, prefix + id, ...args)
        .catch((err: unknown) => (isNoScript(err) ? client.eval(UNDO_SCRIPT, 1, prefix + id, ...args) : undefined))
        .catch(() => undefined); // best effort: a lost undo only makes the limit stricter
    },
    hit(id: string, limit = max): Promise<Hit> {
      const status = client.status;
      if (status !== undefined && (DOWN_STATES.has(status) || (answered && status === 'connecting'))) {
        return Promise.reject(new StoreDisconnectedError(status));
      }
      return new Promise<Hit>((resolve, reject) => {
        if (keys.length === 0) setImmediate(flush);
        keys.push(prefix + id);
        limits.push(limit);
        resolvers.push(resolve);
        rejecters.push(reject);
      });
    },
  };
}
