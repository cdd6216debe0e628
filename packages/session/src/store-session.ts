import type Koa from 'koa';
import type { Next, ParameterizedContext } from 'koa';
import type { Codec } from './codec.js';
import { cookieHeader, readCookie } from './cookie-session.js';
import { conflict, isHttpError, misconfigured, storeUnavailable } from './errors.js';
import { SessionFields } from './session-fields.js';
import { type SessionRecord, type SessionStore, type StoreContext, toJson } from './store.js';

/**
 * Store sessions on our own per-request context, with koa-session 7's semantics (the Session API,
 * `_expire`/`_maxAge`/`_session` fields, rolling, renew, the store's `{ ctx, rolling, changed }`,
 * the events), but loaded lazily: the store is read on the first use of `ctx.session`, or, for a
 * store whose `get` answers with a promise, when the request reaches the middleware. A failed
 * load surfaces only where `ctx.session` is read.
 */

type Ctx = ParameterizedContext<any, any, any>;
type MaxAge = number | 'session' | undefined;
type CommitOptions = { save?: boolean; regenerate?: boolean };
type Reason = 'force' | 'changed' | 'rolling' | 'renew' | '';
/** What a store `get` gave: the record, or the (mapped) error. */
type Fetched = { record: unknown; error?: undefined } | { record?: undefined; error: unknown };

/** koa-session's default when maxAge is unset at save time. */
const ONE_DAY = 86_400_000;
/** koa-session gives a store entry 10 s more than its cookie, so the entry outlives the cookie. */
const STORE_MARGIN = 10_000;
const EPOCH = new Date(0);
const CONTEXT = Symbol('koa-kit.session.storeContext');

/** What one app's store sessions share: built once per app. */
export interface StoreShared {
  app: Koa<any, any>;
  store: SessionStore;
  /** Signs the id cookie; undefined with `signed: false`. */
  codec: Codec | undefined;
  key: string;
  /** `key=`, searched for in the Cookie header. */
  prefix: string;
  /** Cookie attributes (and koa-session's option names) every request starts from. */
  options: Readonly<Record<string, unknown>>;
  autoCommit: boolean;
  timeout: number;
  valid: ((ctx: Ctx, data: Record<string, unknown>) => unknown) | undefined;
  beforeSave: ((ctx: Ctx, session: never) => void) | undefined;
  genid: (ctx: Ctx) => string;
  /** True once `get` is known to answer synchronously (memoryStore, or learned from an answer). */
  syncGet: boolean | undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Calls the store: a synchronous answer comes back as it is (a throw is thrown as a 503), a
 * promise is bounded by `timeout`; every failure is a 503 SESSION_STORE_UNAVAILABLE (an HttpError
 * from the store passes through).
 */
function callStore<T>(timeout: number, call: () => T | PromiseLike<T>): T | Promise<T> {
  let result: T | PromiseLike<T>;
  try {
    result = call();
  } catch (err) {
    throw isHttpError(err) ? err : storeUnavailable(err);
  }
  if (!isThenable(result)) return result;
  const pending = result;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(storeUnavailable(new Error(`the session store did not answer within ${timeout} ms`)));
    }, timeout);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(isHttpError(err) ? err : storeUnavailable(err));
      },
    );
  });
}

/** `ctx.session` of a store session: the data as own properties, plus koa-session's API. */
export class StoreSession extends SessionFields {
  readonly #context: StoreRequest;

  constructor(context: StoreRequest, data?: Record<string, unknown>) {
    super();
    this.#context = context;
    if (!data) {
      this.isNew = true;
      return;
    }
    for (const k in data) {
      if (k === '_maxAge') context.maxAge = data._maxAge as MaxAge;
      else if (k === '_session') context.maxAge = 'session';
      // the store's revision stays with the request, off the session
      else if (k === '_rev') continue;
      // Reflect.set, as koa-session: a key such as "length" is ignored rather than thrown on
      else Reflect.set(this, k, data[k]);
    }
  }

  get maxAge(): MaxAge {
    return this.#context.maxAge;
  }

  set maxAge(value: MaxAge) {
    this.#context.maxAge = value;
    this._requireSave = true;
  }

  /** The session's current store id (after regenerate(), the new one). */
  get externalKey(): string | undefined {
    return this.#context.id;
  }

  save(callback?: (err?: unknown) => void): Promise<void> | undefined {
    return this.commit({ save: true }, callback);
  }

  regenerate(callback?: (err?: unknown) => void): Promise<void> | undefined {
    return this.commit({ regenerate: true }, callback);
  }

  manuallyCommit(): Promise<void> {
    return this.commit() as Promise<void>;
  }

  commit(
    options?: CommitOptions | ((err?: unknown) => void),
    callback?: (err?: unknown) => void,
  ): Promise<void> | undefined {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    const promise = this.#context.commit(options);
    if (callback === undefined) return promise;
    const cb = callback;
    promise.then(() => cb(), cb);
    return undefined;
  }
}

/** One request's store session (koa-session's ContextSession), created when first needed. */
export class StoreRequest {
  /** undefined: not used; false: set to null (destroy); else the session. */
  session: StoreSession | false | undefined = undefined;
  /** The store id of the session (the cookie's, or a new one); undefined until known. */
  id: string | undefined = undefined;
  readonly #ctx: Ctx;
  readonly #shared: StoreShared;
  /** The id the cookie carries, verified; undefined for none (read once). */
  #cookieId: string | undefined = undefined;
  #cookieRead = false;
  /** The cookie verified with an old key: it is re-signed on this response. */
  #stale = false;
  /** The store's answer for the cookie's id, once asked. */
  #fetched: Fetched | undefined = undefined;
  /** Revision the store gave with the loaded data (passed back on write as `_rev`). */
  #rev: unknown = undefined;
  /** JSON of the data as loaded or last saved (koa-session's prevHash); undefined for a new session. */
  #saved: string | undefined = undefined;
  /** Set by `ctx.session = null`: the id to destroy (and the cookie to clear) at commit. */
  #removed: string | undefined = undefined;
  #removing = false;
  #maxAge: MaxAge;
  #options: Record<string, unknown> | undefined = undefined;

  constructor(ctx: Ctx, shared: StoreShared) {
    this.#ctx = ctx;
    this.#shared = shared;
    this.#maxAge = shared.options.maxAge as MaxAge;
  }

  /** This request's copy of the options (`ctx.sessionOptions`), made on first use. */
  get options(): Record<string, unknown> {
    if (this.#options === undefined) this.#options = { ...this.#shared.options, maxAge: this.#maxAge };
    return this.#options;
  }

  get maxAge(): MaxAge {
    return this.#options === undefined ? this.#maxAge : (this.#options.maxAge as MaxAge);
  }

  set maxAge(value: MaxAge) {
    if (this.#options === undefined) this.#maxAge = value;
    else this.#options.maxAge = value;
  }

  /**
   * Asks the store for the cookie's session before downstream runs, for a store that is not known
   * to answer synchronously; a failure is kept for the first read of `ctx.session`.
   */
  preload(): Promise<void> | undefined {
    if (this.session !== undefined || this.#fetched !== undefined) return undefined;
    const id = this.#readCookie();
    if (id === undefined) return undefined;
    let result: unknown;
    try {
      result = this.#get(id);
    } catch (error) {
      this.#shared.syncGet = true;
      this.#fetched = { error };
      return undefined;
    }
    if (!isThenable(result)) {
      this.#shared.syncGet = true;
      this.#fetched = { record: result };
      return undefined;
    }
    this.#shared.syncGet = false;
    return (result as Promise<unknown>).then(
      (record) => {
        this.#fetched = { record };
      },
      (error: unknown) => {
        this.#fetched = { error };
      },
    );
  }

  get(): StoreSession {
    const session = this.session;
    if (session) return session;
    if (session === false) {
      // read after `ctx.session = null`: a new, empty session (the old one is still destroyed)
      this.#fresh();
      return this.session as unknown as StoreSession;
    }
    this.#load();
    return this.session as unknown as StoreSession;
  }

  set(value: unknown): void {
    if (value === null) {
      this.#remove();
      return;
    }
    if (typeof value !== 'object') throw new Error('this.session can only be set as null or an object.');
    // koa-session keeps the id ("to avoid waste storage"): the loaded one, if any
    if (this.session === undefined) this.#load();
    else if (this.session === false) this.#fresh();
    this.session = new StoreSession(this, value as Record<string, unknown>);
  }

  #remove(): void {
    // the first removal names the stored session; one made after it was never stored
    if (!this.#removing) {
      this.#removing = true;
      this.#removed = this.session ? this.id : this.#readCookie();
    }
    this.session = false;
  }

  #readCookie(): string | undefined {
    if (this.#cookieRead) return this.#cookieId;
    this.#cookieRead = true;
    const shared = this.#shared;
    const raw = readCookie(cookieHeader(this.#ctx.req), shared.prefix);
    if (!raw) return undefined;
    if (shared.codec === undefined) {
      this.#cookieId = raw;
      return raw;
    }
    const verified = shared.codec.verifyId(raw);
    if (verified === undefined) {
      // a cookie that does not verify is a missed session, as an id the store lacks is
      this.#emit('missed', { key: undefined, value: undefined, ctx: this.#ctx });
      return undefined;
    }
    this.#stale = verified.stale;
    this.#cookieId = verified.text;
    return verified.text;
  }

  #get(id: string): unknown {
    const shared = this.#shared;
    const context: StoreContext = { ctx: this.#ctx, rolling: shared.options.rolling as boolean };
    return callStore(shared.timeout, () => shared.store.get(id, context));
  }

  #fresh(): void {
    this.id = this.#shared.genid(this.#ctx);
    this.#rev = undefined;
    this.#saved = undefined;
    this.session = new StoreSession(this);
  }

  #load(): void {
    const id = this.#readCookie();
    if (id === undefined) {
      this.#fresh();
      return;
    }
    let fetched = this.#fetched;
    if (fetched === undefined) {
      // not preloaded: the store answers synchronously, or session() has not run on this request
      let result: unknown;
      try {
        result = this.#get(id);
        if (isThenable(result)) {
          (result as Promise<unknown>).catch(() => {});
          throw misconfigured(
            'ctx.session was read before session() could load it from an asynchronous store: ' +
              'mount session() before the code that reads ctx.session',
          );
        }
        fetched = { record: result };
        this.#shared.syncGet ??= true;
      } catch (error) {
        if (isHttpError(error) && error.code === 'SESSION_MISCONFIGURED') throw error;
        fetched = { error };
      }
      this.#fetched = fetched;
    }
    if (fetched.error !== undefined) throw fetched.error;
    const record = fetched.record;
    const ctx = this.#ctx;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      this.#emit('missed', { key: id, value: record ?? undefined, ctx });
      this.#fresh();
      return;
    }
    const data = record as SessionRecord;
    if (typeof data._expire === 'number' && data._expire < Date.now()) {
      this.#emit('expired', { key: id, value: data, ctx });
      this.#fresh();
      return;
    }
    const valid = this.#shared.valid;
    if (valid !== undefined && !valid(ctx, data)) {
      this.#emit('invalid', { key: id, value: data, ctx });
      this.#fresh();
      return;
    }
    this.id = id;
    this.#rev = data._rev;
    const session = new StoreSession(this, data);
    this.session = session;
    this.#saved = toJson(session.toJSON());
  }

  /** koa-session's commit: destroys, saves, touches or does nothing. */
  async commit({ save = false, regenerate = false }: CommitOptions = {}): Promise<void> {
    if (this.#removing) {
      this.#removing = false;
      const removed = this.#removed;
      this.#removed = undefined;
      await this.#destroy(removed);
    }
    const session = this.session;
    if (!session) return;
    if (regenerate) {
      await this.#destroy(this.id);
      this.id = this.#shared.genid(this.#ctx);
      this.#rev = undefined;
      this.#saved = undefined;
    }
    let reason: Reason = save || regenerate || session._requireSave ? 'force' : this.#shouldSave(session);
    if (reason === '') return;
    if (this.#shared.beforeSave !== undefined) {
      this.#shared.beforeSave(this.#ctx, session as never);
      // beforeSave may change the data: then it is a write, not a touch
      if ((reason === 'rolling' || reason === 'renew') && toJson(session.toJSON()) !== this.#saved) reason = 'changed';
    }
    await this.#save(session, reason);
  }

  #shouldSave(session: StoreSession): Reason {
    const saved = this.#saved;
    const data = session.toJSON();
    if (saved === undefined && Object.keys(data).length === 0) return '';
    if (toJson(data) !== saved) return 'changed';
    if (this.#shared.options.rolling) return 'rolling';
    // an id signed with an old key: re-sign the cookie
    if (this.#stale) return 'renew';
    if (this.#shared.options.renew) {
      const expire = session._expire;
      const maxAge = this.maxAge;
      if (expire && typeof maxAge === 'number' && expire - Date.now() < maxAge / 2) return 'renew';
    }
    return '';
  }

  async #save(session: StoreSession, reason: Reason): Promise<void> {
    const shared = this.#shared;
    const store = shared.store;
    const opts = this.options;
    const id = this.id!;
    const data = session.toJSON();
    const maxAge = opts.maxAge ? (opts.maxAge as number | 'session') : ONE_DAY;
    let storeMaxAge: number | undefined;
    if (maxAge === 'session') {
      data._session = true;
    } else {
      data._expire = maxAge + Date.now();
      data._maxAge = maxAge;
      storeMaxAge = maxAge + STORE_MARGIN;
    }
    if (this.#rev !== undefined) data._rev = this.#rev;
    const context: StoreContext = { ctx: this.#ctx, rolling: opts.rolling as boolean, changed: reason === 'changed' };
    if ((reason === 'rolling' || reason === 'renew') && typeof store.touch === 'function') {
      // unchanged data: refresh the entry's lifetime without rewriting it
      const touched = await callStore(shared.timeout, () => store.touch!(id, data, storeMaxAge, context));
      // gone meanwhile (logged out elsewhere): not recreated, and no cookie for it
      if (touched === false) return;
    } else {
      const written = await callStore(shared.timeout, () => store.set(id, data, storeMaxAge, context));
      if (written === false) throw conflict();
      this.#rev = typeof written === 'number' ? written : undefined;
      this.#saved = toJson(session.toJSON());
      session._requireSave = false;
    }
    session._expire = data._expire as number | undefined;
    this.#stale = false;
    const value = shared.codec === undefined ? id : shared.codec.signId(id);
    const cookieOptions = maxAge === 'session' ? { ...opts, maxAge: undefined } : opts;
    this.#ctx.cookies.set(shared.key, value, cookieOptions as never);
  }

  async #destroy(id: string | undefined): Promise<void> {
    const shared = this.#shared;
    if (id !== undefined) {
      const context: StoreContext = { ctx: this.#ctx };
      await callStore(shared.timeout, () => shared.store.destroy(id, context));
    }
    this.#ctx.cookies.set(shared.key, '', { ...this.options, expires: EPOCH, maxAge: false } as never);
  }

  #emit(event: string, data: unknown): void {
    const app = this.#shared.app;
    setImmediate(() => app.emit(`session:${event}`, data));
  }
}

function contextOf(ctx: Ctx, shared: StoreShared): StoreRequest {
  const slot = ctx as unknown as Record<symbol, StoreRequest | undefined>;
  let context = slot[CONTEXT];
  if (context === undefined) {
    context = new StoreRequest(ctx, shared);
    slot[CONTEXT] = context;
  }
  return context;
}

/**
 * Defines `ctx.session` and `ctx.sessionOptions` on the app's context and returns the middleware:
 * it preloads the session for a store not known to answer synchronously, runs downstream, and
 * commits after it, even when downstream threw (a commit error then wins, as in koa-session).
 */
export function installStoreSessions(shared: StoreShared): (ctx: Ctx, next: Next) => Promise<void> {
  Object.defineProperties(shared.app.context, {
    session: {
      get(this: Ctx) {
        return contextOf(this, shared).get();
      },
      set(this: Ctx, value: unknown) {
        contextOf(this, shared).set(value);
      },
      configurable: true,
    },
    sessionOptions: {
      get(this: Ctx) {
        return contextOf(this, shared).options;
      },
    },
  });

  const run = (context: StoreRequest, next: Next): Promise<void> => {
    if (!shared.autoCommit) return next();
    return next().then(
      () => context.commit(),
      (err: unknown) =>
        context.commit().then(() => {
          throw err;
        }),
    );
  };
  return function storeSession(ctx: Ctx, next: Next): Promise<void> {
    const context = contextOf(ctx, shared);
    const preloading = shared.syncGet === true ? undefined : context.preload();
    return preloading === undefined ? run(context, next) : preloading.then(() => run(context, next));
  };
}
