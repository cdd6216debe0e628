/** One client's fixed window. */
export interface Window {
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
const now = (): number => performance.timeOrigin + performance.now();

/**
 * The one Map a factory's limiter counts in, kept bounded: a window (re)started is moved to the end,
 * so the Map is ordered by window end and a sweep stops at the first live entry; at `maxKeys` it
 * sweeps, then drops the window that ends soonest.
 */
export class WindowStore extends Map<string, Window> {
  readonly maxKeys: number;

  constructor(maxKeys: number) {
    super();
    this.maxKeys = maxKeys;
  }

  override set(key: string, value: Window): this {
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
      if (entry.reset > cutoff) break;
      super.delete(key);
      removed++;
    }
    return removed;
  }
}

export interface MemoryCounter {
  readonly store: WindowStore;
  /** Counts one request of `key` and returns its window (synchronous: no promise per request). */
  hit(key: string): Window;
}

/**
 * A fixed-window counter over one WindowStore (a window starts at a client's first request, as in
 * koa-ratelimit's memory limiter), swept by an unref'd timer that stops when the store is collected.
 */
export function memoryCounter(max: number, duration: number, maxKeys: number): MemoryCounter {
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
    hit(key: string): Window {
      const t = now();
      let window = store.get(key);
      if (window === undefined || window.reset <= t) {
        window = { used: 0, reset: t + duration };
        store.set(key, window);
      }
      if (window.used <= max) window.used++;
      return window;
    },
  };
}
