import { randomBytes } from 'node:crypto';
import { optionError, rejectUnknownOptions } from '@koa-kit/common';
import { lockerUnavailableError, lockTimeoutError } from './errors.js';
import type { UploadLock, UploadLocker } from './tus.js';

/**
 * The part of an ioredis client (`Redis` or `Cluster`) the locker uses. Declared here so the
 * package's types never depend on ioredis.
 */
export interface RedisLockerClient {
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  /** A new connection with the same settings, for subscribing (a subscribed connection sends nothing else). */
  duplicate(): RedisLockerSubscriber;
  on?(event: 'end', listener: () => void): unknown;
  /** ioredis' connection state: while it reconnects, `lock()` fails at once instead of queueing. */
  readonly status?: string;
}

/** The connection `duplicate()` returns, as the locker uses it. */
export interface RedisLockerSubscriber {
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  disconnect(): void;
}

/** Options of `redisLocker()`. */
export interface RedisLockerOptions {
  /** A connected ioredis client, `new Redis(url)` or `new Cluster(nodes)`. Required. */
  client: RedisLockerClient;
  /** Prefix of the lock keys (`<prefix><upload id>`) and of the two pub/sub channels. Default `koa-kit:upload-lock:`. */
  prefix?: string;
  /**
   * Life of a lock in Redis, in milliseconds, renewed every third of it while held: a crashed
   * holder's lock is free after at most this long. Default 10 s; at least 100.
   */
  ttl?: number;
  /** How long `lock()` waits for a busy upload, in milliseconds, before the client gets 423. Default 30 s. */
  acquireLockTimeout?: number;
}

/** A locker shared by every instance through Redis; `close()` stops its subscriber connection. */
export interface RedisLocker extends UploadLocker {
  close(): Promise<void>;
}

const DEFAULT_LOCK_PREFIX = 'koa-kit:upload-lock:';
const DEFAULT_LOCK_TTL = 10_000;
const DEFAULT_ACQUIRE_LOCK_TIMEOUT = 30_000;

const KNOWN_OPTIONS = new Set(['client', 'prefix', 'ttl', 'acquireLockTimeout']);
/** How often a waiter tries again when no "free" message wakes it first. */
const RETRY_INTERVAL = 50;
/** How often a waiter repeats its release request (one may reach a holder before it subscribed). */
const RELEASE_REPEAT = 250;
/** ioredis states in which a command would wait in the offline queue (`'connecting'` at start is fine). */
const DISCONNECTED = new Set(['reconnecting', 'close', 'end']);

// Compare-and-delete and compare-and-renew: only the holder's token touches the key.
const UNLOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;

/** A lock this process holds. */
interface Held {
  token: string;
  requestRelease: () => void | Promise<void>;
  releaseAsked: boolean;
}

function fail(detail: string): never {
  throw optionError('redisLocker', detail);
}

function integerOption(value: unknown, name: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(`"${name}" option must be an integer of at least ${min} (milliseconds)`);
  }
  return value;
}

/**
 * A tus locker in Redis, shared by every instance that serves one upload folder: `SET NX PX` with a
 * random token, renewed while held, deleted only by its holder (Lua), and @tus/server's release
 * request carried to the holder's instance over pub/sub, so that a HEAD or PATCH on one instance
 * asks a PATCH on another to let go, as `MemoryLocker` does within one process.
 */
export function redisLocker(options: RedisLockerOptions): RedisLocker {
  if (options === null || typeof options !== 'object') fail('options must be an object with a "client"');
  rejectUnknownOptions('redisLocker', options, KNOWN_OPTIONS);
  const { client } = options;
  if (
    client === null ||
    typeof client !== 'object' ||
    ['set', 'eval', 'publish', 'duplicate'].some(
      (m) => typeof (client as unknown as Record<string, unknown>)[m] !== 'function',
    )
  ) {
    fail('"client" option must be an ioredis client, Redis or Cluster (with set, eval, publish and duplicate)');
  }
  const prefix = options.prefix ?? DEFAULT_LOCK_PREFIX;
  if (typeof prefix !== 'string') fail('"prefix" option must be a string');
  const ttl = integerOption(options.ttl, 'ttl', 100, DEFAULT_LOCK_TTL);
  const acquireLockTimeout = integerOption(
    options.acquireLockTimeout,
    'acquireLockTimeout',
    0,
    DEFAULT_ACQUIRE_LOCK_TIMEOUT,
  );
  const releaseChannel = `${prefix}release`;
  const freeChannel = `${prefix}free`;

  /** Locks held here, by upload id: where a release request for that id is delivered. */
  const held = new Map<string, Held>();
  /** Waiters here, by upload id: woken when the holder, anywhere, says it let go. */
  const waiters = new Map<string, Set<() => void>>();
  let closed = false;
  /** Once Redis has been ready, any other state is a lost connection: `'connecting'` too, between two reconnection attempts. */
  let wasReady = false;
  const disconnected = (): boolean => {
    const status = client.status ?? '';
    if (status === 'ready') wasReady = true;
    return DISCONNECTED.has(status) || (wasReady && status !== '' && status !== 'ready');
  };

  const onMessage = (channel: string, id: string) => {
    if (channel === releaseChannel) {
      const holder = held.get(id);
      if (!holder) return;
      holder.releaseAsked = true;
      Promise.resolve()
        .then(holder.requestRelease)
        .catch(() => {});
    } else if (channel === freeChannel) {
      for (const wake of waiters.get(id) ?? []) wake();
    }
  };

  // Subscribed now, so that a release request for the first lock finds it listening; while it
  // (re)connects, waiters repeat their requests.
  let subscriber: RedisLockerSubscriber | undefined = client.duplicate();
  subscriber.on('error', () => {});
  subscriber.on('message', onMessage);
  subscriber.subscribe(releaseChannel, freeChannel).catch(() => {});
  const close = async () => {
    closed = true;
    subscriber?.disconnect();
    subscriber = undefined;
  };
  client.on?.('end', () => void close());

  /** Resolves after `ms`, on a "free" message for `id`, or when `signal` aborts. */
  const pause = (id: string, ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const set = waiters.get(id) ?? new Set();
      waiters.set(id, set);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && waiters.get(id) === set) waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      signal.addEventListener('abort', done);
    });

  /** One `SET NX PX`; a Redis that fails it (gone mid-wait, out of memory, ...) is a 503, not a 500. */
  const acquire = (key: string, token: string) =>
    client.set(key, token, 'PX', ttl, 'NX').catch((error: unknown) => {
      throw lockerUnavailableError(error);
    });

  const newLock = (id: string): UploadLock => {
    const key = prefix + id;
    let mine: Held | undefined;
    let renewal: NodeJS.Timeout | undefined;

    /** Keeps the key alive; a lost key (expired, taken over) asks the request to let go. */
    const startRenewal = (holder: Held) => {
      let renewedAt = Date.now();
      let busy = false;
      let lost = false;
      const letGo = () => {
        if (lost) return;
        lost = true;
        clearInterval(renewal);
        Promise.resolve()
          .then(holder.requestRelease)
          .catch(() => {});
      };
      renewal = setInterval(
        () => {
          if (busy) return;
          busy = true;
          client
            .eval(RENEW, 1, key, holder.token, ttl)
            .then(
              (renewed) => {
                if (renewed === 1) renewedAt = Date.now();
                else letGo();
              },
              () => {
                if (Date.now() - renewedAt >= ttl) letGo();
              },
            )
            .finally(() => {
              busy = false;
            });
        },
        Math.max(1, Math.floor(ttl / 3)),
      );
      renewal.unref();
    };

    return {
      async lock(signal, requestRelease) {
        if (closed) throw lockerUnavailableError(new Error('redisLocker(): the locker was closed'));
        // A request would otherwise wait for ioredis to reconnect; it fails now (503 UPLOAD_LOCKER_UNAVAILABLE).
        if (disconnected()) {
          throw lockerUnavailableError(new Error('redisLocker(): Redis is not connected'));
        }
        const token = randomBytes(16).toString('hex');
        const deadline = Date.now() + acquireLockTimeout;
        let askedAt = Number.NEGATIVE_INFINITY;
        for (;;) {
          if (signal.aborted) throw lockTimeoutError();
          if ((await acquire(key, token)) === 'OK') break;
          const now = Date.now();
          if (now - askedAt >= RELEASE_REPEAT) {
            askedAt = now;
            client.publish(releaseChannel, id).catch(() => {});
          }
          if (now >= deadline) throw lockTimeoutError();
          await pause(id, Math.min(RETRY_INTERVAL, deadline - now), signal);
        }
        mine = { token, requestRelease, releaseAsked: false };
        held.set(id, mine);
        startRenewal(mine);
      },
      async unlock() {
        const holder = mine;
        if (!holder) return;
        mine = undefined;
        clearInterval(renewal);
        if (held.get(id) === holder) held.delete(id);
        try {
          await client.eval(UNLOCK, 1, key, holder.token);
        } catch {
          // Redis unreachable: the key expires after `ttl`; the request that wrote is not failed for it.
        }
        if (holder.releaseAsked) client.publish(freeChannel, id).catch(() => {});
      },
    };
  };

  return { newLock, close };
}
