import type { Hit } from './hit.js';
import { flatKey, now, type Window, WindowStore } from './memory-store.js';

/**
 * Sliding window (the weighted two-window counter): windows are aligned on multiples of the
 * duration, and a request at `elapsed` ms into window n sees
 *   estimate = previous * (duration - elapsed) / duration + current
 * and is admitted while estimate + 1 <= max (a refused request is not counted). A client that sent
 * max at the end of one window cannot send max again at the start of the next, unlike the fixed window.
 */
export interface SlidingWindow extends Window {
  /** Admitted requests of the window before `index`. */
  previous: number;
  /** Index of the current window: floor(time / duration). */
  index: number;
  /** End of a blockDuration block (0: none). */
  blockedUntil: number;
}

/** How long from `elapsed` until a request would be admitted, in ms (the same formula runs in Lua). */
export function waitFor(max: number, duration: number, elapsed: number, previous: number, current: number): number {
  if (current <= max - 1) {
    if (previous === 0) return 0;
    const at = duration * (1 - (max - 1 - current) / previous);
    return Math.max(0, Math.ceil(at - elapsed));
  }
  // Not before the next window, where `current` becomes the previous count.
  return Math.ceil(duration - elapsed + duration * (1 - (max - 1) / current));
}

export interface SlidingCounter {
  readonly store: WindowStore;
  hit(key: string, limit?: number): Hit;
  /** Takes back one admitted request of `key` whose window ends at `reset`. */
  undo(key: string, reset: number): void;
}

/** A sliding-window counter over one WindowStore; an entry lives until the end of the window after its own. */
export function slidingCounter(max: number, duration: number, maxKeys: number, block = 0): SlidingCounter {
  const store = new WindowStore(maxKeys);
  const ref = new WeakRef(store);
  const timer = setInterval(
    () => {
      const live = ref.deref();
      if (live) live.sweep();
      else clearInterval(timer);
    },
    Math.min(60_000, Math.max(1000, duration)),
  );
  timer.unref();

  return {
    store,
    undo(key: string, reset: number): void {
      const entry = store.get(key) as SlidingWindow | undefined;
      if (entry === undefined) return;
      const end = entry.index * duration + duration;
      if (end === reset && entry.used > 0) entry.used--;
      else if (end - duration === reset && entry.previous > 0) entry.previous--;
    },
    hit(key: string, limit = max): Hit {
      const t = now();
      const index = Math.floor(t / duration);
      const start = index * duration;
      let entry = store.get(key) as SlidingWindow | undefined;
      if (entry === undefined || entry.index !== index) {
        const previous = entry !== undefined && entry.index === index - 1 ? entry.used : 0;
        const stored = entry === undefined ? flatKey(key) : entry.key;
        const blockedUntil = entry === undefined ? 0 : entry.blockedUntil;
        const reset = Math.max(start + 2 * duration, blockedUntil);
        entry = { key: stored, used: 0, reset, previous, index, blockedUntil };
        store.set(stored, entry);
      }
      if (entry.blockedUntil > t) return { allowed: false, remaining: 0, reset: entry.blockedUntil };
      const elapsed = t - start;
      const estimate = (entry.previous * (duration - elapsed)) / duration + entry.used;
      if (estimate + 1 <= limit) {
        entry.used++;
        return { allowed: true, remaining: Math.floor(limit - estimate - 1), reset: start + duration };
      }
      if (block > 0) {
        entry.blockedUntil = t + block;
        entry.reset = Math.max(entry.reset, entry.blockedUntil); // kept until the block ends
        return { allowed: false, remaining: 0, reset: entry.blockedUntil };
      }
      return { allowed: false, remaining: 0, reset: t + waitFor(limit, duration, elapsed, entry.previous, entry.used) };
    },
  };
}
