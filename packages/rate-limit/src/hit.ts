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
  hit(key: string): Promise<Hit>;
}
