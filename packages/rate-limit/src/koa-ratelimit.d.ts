// koa-ratelimit 6 ships no types for its memory limiter; this is the part of it we call.
declare module 'koa-ratelimit/limiter/memory.js' {
  interface MemoryLimiterEntry {
    id: string;
    /** End of the window, Unix time in seconds (fractional). */
    reset: number;
    /** Before this request is counted: > 0 means the request is allowed. */
    remaining: number;
    total: number;
  }
  class MemoryLimiter {
    constructor(options: {
      id: string;
      db: Map<string, MemoryLimiterEntry>;
      max: number;
      duration: number;
      namespace?: string;
    });
    get(): Promise<MemoryLimiterEntry>;
  }
  namespace MemoryLimiter {
    export type Entry = MemoryLimiterEntry;
  }
  export = MemoryLimiter;
}
