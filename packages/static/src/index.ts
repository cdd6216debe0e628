export type { ServeStaticOptions } from './options.js';
export { serveStatic } from './serve-static.js';

/** What `serveStatic` records about the file it served, on `ctx.state.static`. */
export interface StaticState {
  /** Absolute path of the file sent (the `.br`/`.gz` sibling when one was chosen). */
  path: string;
  /** Canonical path relative to root, `/`-separated, e.g. `/docs/index.html`. */
  relativePath: string;
  /** The precompressed coding sent, if any. */
  encoding: 'br' | 'gzip' | undefined;
}

declare module 'koa' {
  interface DefaultState {
    /** Set by `@koa-kit/static` when it serves a file. */
    static?: StaticState;
  }
}
