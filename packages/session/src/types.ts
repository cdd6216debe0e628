/**
 * The data of a session. Augment it to type your fields:
 * `declare module '@koa-kit/session' { interface SessionData { userId?: string } }`.
 */
export interface SessionData {
  [key: string]: unknown;
}

/** `ctx.session`: your data plus koa-session's methods. */
export interface Session extends SessionData {
  /** True when this request started the session (no valid cookie or stored entry). */
  readonly isNew: boolean;
  /** Lifetime in ms of this session's cookie (`'session'`: until the browser closes); setting it forces a save. */
  maxAge: number | 'session' | undefined;
  /** The store id of this session (store sessions only). */
  readonly externalKey: string | undefined;
  /** Number of data fields. */
  readonly length: number;
  /** True when the session holds data. */
  readonly populated: boolean;
  /** Saves the session on this response even if it did not change. */
  save(): Promise<void>;
  /**
   * Destroys the current session (store entry and cookie) and saves its data under a new id:
   * call it on login, before writing the user, to defeat session fixation.
   */
  regenerate(): Promise<void>;
  /** Writes the session now if it changed (or must be renewed); with `autoCommit: false`, the only commit. */
  manuallyCommit(): Promise<void>;
  /** As `manuallyCommit()`; `{ save: true }` forces the write, `{ regenerate: true }` also moves it to a new id. */
  commit(options?: { save?: boolean; regenerate?: boolean }): Promise<void>;
  /** The plain data, without koa-session's internals. */
  toJSON(): SessionData;
}

// This file is published as its own declaration file (dist/types.d.cts, see tsup.config.ts) that
// index.d.ts and index.d.cts both import: a program that loads both (an .mts and a .cts file) must
// see this accessor pair once, or TypeScript reports "Duplicate identifier 'session'". Keep it
// declarations only, with no relative imports.
declare module 'koa' {
  interface DefaultContext {
    /**
     * The session (@koa-kit/session): reading it gives a session (a new, empty one when the request
     * has none, or after `ctx.session = null`); assign `null` to log out, an object to replace the
     * data.
     */
    get session(): Session;
    set session(value: SessionData | null);
  }
}
