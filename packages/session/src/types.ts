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
  /** The plain data, without koa-session's internals. */
  toJSON(): SessionData;
}

declare module 'koa' {
  interface DefaultContext {
    /** The session (@koa-kit/session); assign `null` to log out, an object to replace the data. */
    get session(): Session | null;
    set session(value: SessionData | null);
  }
}
