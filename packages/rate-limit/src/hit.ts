/** The outcome of counting one request. */
export interface Hit {
  allowed: boolean;
  /** Requests left in the window after this one. */
  remaining: number;
  /** End of the window, Unix time in milliseconds. */
  reset: number;
}

/** Counts requests per key; the one thing the middleware asks of a driver. */
export interface Counter {
  /** Counts one request of `key` against `limit` requests per window (default: the limiter's max). */
  hit(key: string, limit?: number): Promise<Hit>;
  /** Takes back one admitted request of `key` whose window ends at `reset` (best effort, never throws). */
  undo(key: string, reset: number, limit?: number): void;
}
