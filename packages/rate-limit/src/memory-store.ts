import MemoryLimiter from 'koa-ratelimit/limiter/memory.js';
import type { Counter, Hit } from './hit.js';

type Entry = MemoryLimiter.Entry;

/** Entries are swept this long after their window ended (covers clock sampling differences). */
const SWEEP_SLACK_MS = 1000;
const MIN_SWEEP_INTERVAL_MS = 1000;
const MAX_SWEEP_INTERVAL_MS = 60_000;

/** Wall-clock ms on the same monotonic basis koa-ratelimit's limiter uses (immune to clock steps). */
const now = (): number => performance.timeOrigin + performance.now();

/**
 * The one Map a factory's limiter counts in. koa-ratelimit's memory limiter reads and writes it; this
 * subclass keeps it bounded: a window (re)started is moved to the end, so the Map is ordered by window
 * end and a sweep stops at the first live entry; at `maxKeys` it sweeps, then drops the window that
 * ends soonest.
 */
export class WindowStore extends Map<string, Entry> {
  readonly maxKeys: number;

  constructor(maxKeys: number) {
    super();
    this.maxKeys = maxKeys;
  }

  override set(key: string, value: Entry): this {
    if (super.delete(key)) return super.set(key, value);
    if (this.size >= this.maxKeys) {
      this.sweep();
      if (this.size >= this.maxKeys) {
        const first = this.keys().next();
        if (!first.done) super.delete(first.value);
      }
    }
    return super.set(key, value);
  }

  /** Forgets every client whose window has ended; returns how many. Costs O(forgotten). */
  sweep(at: number = now()): number {
    const cutoff = at - SWEEP_SLACK_MS;
    let removed = 0;
    for (const [key, entry] of this) {
      if (entry.reset * 1000 > cutoff) break;
      super.delete(key);
      removed++;
    }
    return removed;
  }
}

export interface MemoryCounter extends Counter {
  readonly store: WindowStore;
}

/** A counter over one WindowStore, swept by an unref'd timer that stops when the store is collected. */
export function memoryCounter(max: number, duration: number, namespace: string, maxKeys: number): MemoryCounter {
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
    async hit(key: string): Promise<Hit> {
      const entry = await new MemoryLimiter({ id: key, db: store, max, duration, namespace }).get();
      const left = entry.remaining;
      return { allowed: left > 0, remaining: left > 0 ? left - 1 : 0, reset: entry.reset * 1000 };
    },
  };
}
