/** One client's fixed window. */
export interface Window {
  /** The client id it counts (a flat copy: see flatKey). */
  key: string;
  /** Requests counted in this window, admitted or not (capped at max + 1). */
  used: number;
  /** End of the window, Unix time in milliseconds. */
  reset: number;
}

/** Entries are swept this long after their window ended (covers clock sampling differences). */
const SWEEP_SLACK_MS = 1000;
const MIN_SWEEP_INTERVAL_MS = 1000;
const MAX_SWEEP_INTERVAL_MS = 60_000;

/** Wall-clock ms on a monotonic basis (immune to clock steps), as koa-ratelimit's limiter counts. */
export const now = (): number => performance.timeOrigin + performance.now();

/** The queue is compacted once this many of its leading slots have been consumed (and they are half of it). */
const COMPACT_AFTER = 1024;

/**
 * The one Map a factory's limiter counts in, kept bounded. Beside the Map, a queue of the windows in
 * the order they started (so by window end: every window has the same length) with a head index:
 * sweeping and evicting pop from the head in O(1), never walking the Map, whose iteration from the
 * front would first skip every slot deleted since V8 last rehashed it. A restarted window is queued
 * again; its old slot is stale (no longer the Map's value for that key) and is skipped.
 */
export class WindowStore extends Map<string, Window> {
  readonly maxKeys: number;
  #queue: Window[] = [];
  #head = 0;

  constructor(maxKeys: number) {
    super();
    this.maxKeys = maxKeys;
  }

  override set(key: string, value: Window): this {
    if (value.key !== key) value.key = key;
    if (super.delete(key)) {
      super.set(key, value);
    } else {
      if (this.size >= this.maxKeys) this.#evictOne();
      super.set(key, value);
    }
    this.#queue.push(value);
    return this;
  }

  override delete(key: string): boolean {
    return super.delete(key); // its queue slot turns stale
  }

  override clear(): void {
    super.clear();
    this.#queue = [];
    this.#head = 0;
  }

  /** Forgets every client whose window has ended; returns how many. Costs O(forgotten + stale slots). */
  sweep(at: number = now()): number {
    const cutoff = at - SWEEP_SLACK_MS;
    const queue = this.#queue;
    let removed = 0;
    while (this.#head < queue.length) {
      const entry = queue[this.#head]!;
      const live = super.get(entry.key) === entry;
      if (live && entry.reset > cutoff) break;
      if (live) {
        super.delete(entry.key);
        removed++;
      }
      this.#head++;
    }
    this.#compact();
    return removed;
  }

  /** Drops the window that ends soonest (after the stale slots before it). */
  #evictOne(): void {
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const entry = queue[this.#head++]!;
      if (super.get(entry.key) === entry) {
        super.delete(entry.key);
        break;
      }
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** V8 copies substrings shorter than this; a longer one may be a slice that keeps its whole parent alive. */
const MIN_SLICED_LENGTH = 13;

/**
 * A copy of `key` that shares no memory with the string it was cut from: a key sliced from a 15 kB
 * X-Forwarded-For would otherwise keep all of it alive for as long as the client is tracked.
 * (UTF-16 round trip: exact for any string, lone surrogates included.)
 */
export function flatKey(key: string): string {
  return key.length < MIN_SLICED_LENGTH ? key : Buffer.from(key, 'utf16le').toString('utf16le');
}

export interface MemoryCounter {
  readonly store: WindowStore;
  /** Counts one request of `key` and returns its window (synchronous: no promise per request). */
  hit(key: string, limit?: number): Window;
}

/**
 * A fixed-window counter over one WindowStore (a window starts at a client's first request, as in
 * koa-ratelimit's memory limiter), swept by an unref'd timer that stops when the store is collected.
 */
export function memoryCounter(max: number, duration: number, maxKeys: number, block = 0): MemoryCounter {
  const store = new WindowStore(maxKeys);
  const ref = new WeakRef(store);
  const every = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, duration));
  const timer = setInterval(() => {
    const live = ref.deref();
    if (live) live.sweep();
    else clearInterval(timer);
  }, every);
  timer.unref();

  return {
    store,
    hit(key: string, limit = max): Window {
      const t = now();
      let window = store.get(key);
      if (window === undefined || window.reset <= t) {
        window = { key: window === undefined ? flatKey(key) : window.key, used: 0, reset: t + duration };
        store.set(window.key, window);
      }
      if (window.used <= limit) window.used++;
      if (block > 0 && window.used === limit + 1) {
        // First refusal: the client stays refused until the block ends (used limit + 2 marks a block).
        window = { key: window.key, used: limit + 2, reset: t + block };
        store.set(window.key, window);
      }
      return window;
    },
  };
}
