import type { IncomingMessage } from 'node:http';
import type Koa from 'koa';
import type { Next, ParameterizedContext } from 'koa';
import type { Codec, Verified } from './codec.js';
import { notSerializable } from './errors.js';
import { BROWSER_SESSION_LIFETIME } from './options.js';
import { SessionFields } from './session-fields.js';

/**
 * Cookie sessions without koa-session's per-request machinery: the same semantics as koa-session
 * 7's ContextSession and Session (lazy `ctx.session`, `_expire`/`_maxAge`/`_session` payload
 * fields, save/regenerate/renew/rolling, `session:missed`/`session:expired` events), but nothing
 * is built until `ctx.session` is read, the cookie is found with one cached regex instead of a
 * Cookies object, and "did it change?" compares the JSON text with the text the cookie held
 * (memoized per cookie value in the codec's cache) instead of two crc32 hashes.
 * Writing the cookie still goes through Koa's `ctx.cookies.set`.
 */

type Ctx = ParameterizedContext<any, any, any>;
type MaxAge = number | 'session' | undefined;
type CommitOptions = { save?: boolean; regenerate?: boolean };

/** koa-session's default when maxAge is unset at save time (it can be, after a 'session' save). */
const ONE_DAY = 86_400_000;
const EPOCH = new Date(0);
const CONTEXT = Symbol('koa-kit.session.context');

/** What one app's cookie sessions share: built once, on the app's first request. */
export interface CookieShared {
  app: Koa<any, any>;
  codec: Codec;
  key: string;
  /** `key=`, searched for in the Cookie header. */
  prefix: string;
  /** Cookie attributes (and koa-session's option names) every request starts from. */
  options: Readonly<Record<string, unknown>>;
  /** Commit after downstream; false leaves it to `ctx.session.manuallyCommit()`. */
  autoCommit: boolean;
  valid: ((ctx: Ctx, data: Record<string, unknown>) => unknown) | undefined;
  beforeSave: ((ctx: Ctx, session: never) => void) | undefined;
}

/**
 * The cookie's value as Cookies' `cookies.get(key)` finds it (its pattern is
 * `(?:^|;) *key=([^;]*)`, first match, one pair of quotes removed), without a regex or an object.
 */
export function readCookie(header: string | undefined, prefix: string): string {
  if (!header) return '';
  let at = header.indexOf(prefix);
  while (at >= 0) {
    let before = at - 1;
    while (before >= 0 && header.charCodeAt(before) === 32) before--;
    if (before < 0 || header.charCodeAt(before) === 59) {
      const start = at + prefix.length;
      const end = header.indexOf(';', start);
      const value = end < 0 ? header.slice(start) : header.slice(start, end);
      return value.charCodeAt(0) === 34 ? value.slice(1, -1) : value;
    }
    at = header.indexOf(prefix, at + 1);
  }
  return '';
}

/**
 * The request's Cookie header as `req.headers.cookie` gives it (several lines joined with "; "),
 * read from `req.rawHeaders` so that a request nothing else asked headers of does not pay for
 * Node building the whole `req.headers` object.
 */
export function cookieHeader(req: IncomingMessage): string | undefined {
  const raw = req.rawHeaders;
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // the usual spellings, then the first letter, before toLowerCase(): saves a string allocation
    // per Cookie, Accept or Origin header
    if (
      name.length === 6 &&
      (name === 'Cookie' || name === 'cookie' || ((name.charCodeAt(0) | 32) === 99 && name.toLowerCase() === 'cookie'))
    ) {
      found = found === undefined ? raw[i + 1] : `${found}; ${raw[i + 1]}`;
    }
  }
  return found;
}

/** `ctx.session` of a cookie session: the data as own properties, plus koa-session's API. */
export class CookieSession extends SessionFields {
  readonly #context: CookieContext;

  /**
   * As koa-session's Session. With `template` (cached, plain keys only), `data` is that template's
   * data: its values are copied, never shared, so one request's changes never reach another.
   */
  constructor(context: CookieContext, data?: Record<string, unknown>, template?: Loaded) {
    super();
    this.#context = context;
    if (!data) {
      this.isNew = true;
      return;
    }
    if (template !== undefined) {
      if (template.maxAge !== NO_MAX_AGE) context.maxAge = template.maxAge;
      const keys = template.keys;
      for (let i = 0; i < keys.length; i++) this[keys[i]!] = copyJson(data[keys[i]!]);
      return;
    }
    for (const k in data) {
      if (k === '_maxAge') context.maxAge = data._maxAge as MaxAge;
      else if (k === '_session') context.maxAge = 'session';
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

  get externalKey(): string | undefined {
    return undefined;
  }

  save(callback?: (err?: unknown) => void): Promise<void> {
    return this.commit({ save: true }, callback) as Promise<void>;
  }

  regenerate(callback?: (err?: unknown) => void): Promise<void> {
    return this.commit({ regenerate: true }, callback) as Promise<void>;
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
    let promise: Promise<void>;
    try {
      this.#context.commit(options);
      promise = Promise.resolve();
    } catch (err) {
      promise = Promise.reject(err);
    }
    if (callback === undefined) return promise;
    const cb = callback;
    promise.then(() => cb(), cb);
    return undefined;
  }
}

/** One request's session state (koa-session's ContextSession), created when `ctx.session` is first used. */
export class CookieContext {
  /** undefined: not read; false: set to null (destroy); else the session. */
  session: CookieSession | false | undefined = undefined;
  /** What the cookie held (its `text` stands for koa-session's `prevHash`); undefined for a new session. */
  #loaded: Loaded | undefined = undefined;
  #maxAge: MaxAge;
  /** Set by `ctx.session = null`: the cookie is cleared at commit, whatever is read afterwards. */
  #removed = false;
  /** Date.now() when the cookie was loaded (0: not loaded from a cookie). */
  #loadedAt = 0;
  #options: Record<string, unknown> | undefined = undefined;
  readonly #ctx: Ctx;
  readonly #shared: CookieShared;

  constructor(ctx: Ctx, shared: CookieShared) {
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

  get(): CookieSession {
    if (this.session) return this.session;
    if (this.session === false) {
      // read after `ctx.session = null`: a new, empty session (the old cookie is still cleared)
      this.#loaded = undefined;
      this.session = new CookieSession(this);
      return this.session;
    }
    this.#load();
    return this.session as unknown as CookieSession;
  }

  set(value: unknown): void {
    if (value === null) {
      this.session = false;
      this.#removed = true;
      return;
    }
    if (typeof value === 'object') {
      // replacing a removed session: the new data is a new session, saved if it holds anything
      if (this.#removed) this.#loaded = undefined;
      this.session = new CookieSession(this, value as Record<string, unknown>);
      return;
    }
    throw new Error('this.session can only be set as null or an object.');
  }

  #load(): void {
    const shared = this.#shared;
    const value = readCookie(cookieHeader(this.#ctx.req), shared.prefix);
    if (!value) {
      this.session = new CookieSession(this);
      return;
    }
    const verified = shared.codec.read(value);
    const loaded = verified === undefined ? undefined : ((verified.loaded as Loaded | undefined) ?? load(verified));
    const data = loaded?.data;
    if (data === undefined) {
      this.#emit('missed', { key: undefined, value: undefined, ctx: this.#ctx });
      this.session = new CookieSession(this);
      return;
    }
    // every save writes `_expire` (browser-session cookies too): a payload without one predates
    // that bound, so it is not trusted to be recent
    const now = Date.now();
    if (typeof data._expire !== 'number' || data._expire < now) {
      this.#emit('expired', { key: undefined, value: copyJson(data), ctx: this.#ctx });
      this.session = new CookieSession(this);
      return;
    }
    if (shared.valid !== undefined && !shared.valid(this.#ctx, copyJson(data) as Record<string, unknown>)) {
      this.#emit('invalid', { key: undefined, value: copyJson(data), ctx: this.#ctx });
      this.session = new CookieSession(this);
      return;
    }
    const session = loaded!.fast
      ? new CookieSession(this, data, loaded)
      : new CookieSession(this, JSON.parse(verified!.text) as Record<string, unknown>);
    // verified with an old key: re-seal it with the first key on this response
    if (verified!.stale) session._requireSave = true;
    this.session = session;
    this.#loaded = loaded;
    this.#loadedAt = now;
  }

  /** koa-session's commit, synchronous: a cookie session has no store to wait for. */
  commit({ save = false, regenerate = false }: CommitOptions = {}): void {
    const session = this.session;
    if (session === undefined) return;
    if (session === false) {
      this.#remove();
      return;
    }
    if (this.#removed) {
      this.#removed = false;
      this.#remove();
    }
    if (regenerate) this.#remove();
    if (save || regenerate || session._requireSave || this.#shouldSave(session)) {
      this.#shared.beforeSave?.(this.#ctx, session as never);
      this.#save(session);
    }
  }

  #shouldSave(session: CookieSession): boolean {
    const loaded = this.#loaded;
    if (loaded === undefined || !unchanged(session, loaded)) {
      const data = session.toJSON();
      if (loaded === undefined && Object.keys(data).length === 0) return false;
      // compared as koa-session does, by JSON (text rather than crc32)
      if (!(loaded !== undefined && sameJson(data, loaded.view)) && toJsonText(data) !== loaded?.text) return true;
    }
    if (this.#shared.options.rolling) return true;
    if (this.#shared.options.renew) {
      const expire = session._expire;
      const maxAge = this.maxAge === 'session' ? BROWSER_SESSION_LIFETIME : this.maxAge;
      // the clock read at load (this request's start, ms apart): saves a Date.now() per request
      if (expire && maxAge && expire - (this.#loadedAt || Date.now()) < maxAge / 2) return true;
    }
    return false;
  }

  #save(session: CookieSession): void {
    const opts = this.options;
    const data = session.toJSON();
    const maxAge = opts.maxAge ? (opts.maxAge as number | 'session') : ONE_DAY;
    if (maxAge === 'session') {
      // the cookie has no expiry, the payload has one: a copied cookie does not live forever
      data._session = true;
      data._expire = BROWSER_SESSION_LIFETIME + Date.now();
    } else {
      data._expire = maxAge + Date.now();
      data._maxAge = maxAge;
    }
    const value = this.#shared.codec.encode(data);
    // a copy without maxAge rather than koa-session's `opts.maxAge = undefined`, which turned the
    // next save on the same request (after regenerate()) into a one-day cookie
    const cookieOptions = maxAge === 'session' ? { ...opts, maxAge: undefined } : opts;
    this.#ctx.cookies.set(this.#shared.key, value, cookieOptions as never);
  }

  #remove(): void {
    this.#ctx.cookies.set(this.#shared.key, '', { ...this.options, expires: EPOCH, maxAge: false } as never);
  }

  #emit(event: string, data: unknown): void {
    const app = this.#shared.app;
    setImmediate(() => app.emit(`session:${event}`, data));
  }
}

/** `Loaded.maxAge` when the data sets none. */
const NO_MAX_AGE = Symbol('no maxAge');

/** What a verified cookie value yields, worked out once per value and kept in the codec's cache. */
interface Loaded {
  /** The parsed data (a template: never handed out, never changed), or undefined if not a session. */
  data: Record<string, unknown> | undefined;
  /**
   * True when every key is a plain one (none that koa-session's Session handles specially, no
   * `__proto__` anywhere): a session is then made by copying `keys` from `data`. Otherwise each
   * request parses the text and goes through koa-session's loop.
   */
  fast: boolean;
  keys: string[];
  /** The maxAge `_maxAge` / `_session` give, or NO_MAX_AGE. */
  maxAge: MaxAge | typeof NO_MAX_AGE;
  /** `Object.keys()` of a session made from it, `toJSON()` of it (sharing `data`'s values) and its JSON text. */
  ownKeys: string[];
  view: Record<string, unknown>;
  viewKeys: string[];
  text: string | undefined;
}

function load(verified: Verified): Loaded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(verified.text);
  } catch {
    parsed = undefined;
  }
  let loaded: Loaded = {
    data: undefined,
    fast: false,
    keys: [],
    maxAge: NO_MAX_AGE,
    ownKeys: [],
    view: {},
    viewKeys: [],
    text: undefined,
  };
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const data = parsed as Record<string, unknown>;
    let fast = true;
    const keys: string[] = [];
    let maxAge: MaxAge | typeof NO_MAX_AGE = NO_MAX_AGE;
    for (const key of Object.keys(data)) {
      if (key === '_maxAge') maxAge = data._maxAge as MaxAge;
      else if (key === '_session') maxAge = 'session';
      else if (key in CookieSession.prototype || hasProtoKey(data[key])) fast = false;
      else keys.push(key);
    }
    // a probe on a throwaway context: what an untouched session holds
    const probe = new CookieSession(new CookieContext(undefined as never, PROBE), data);
    const view = probe.toJSON();
    loaded = {
      data,
      fast,
      keys,
      maxAge,
      ownKeys: Object.keys(probe),
      view,
      viewKeys: Object.keys(view),
      text: toJsonText(view),
    };
  }
  verified.loaded = loaded;
  return loaded;
}

/**
 * True when the session still holds exactly what it was loaded with: the same own keys in the
 * same order and, for every key toJSON() keeps, the same JSON value. Then toJSON() gives the same
 * JSON text without building it. False means "compare the long way".
 */
function unchanged(session: CookieSession, loaded: Loaded): boolean {
  const expected = loaded.ownKeys;
  // for-in rather than Object.keys(): no array per request (the class has no enumerable inherited keys)
  let i = 0;
  for (const key in session) if (key !== expected[i++]) return false;
  if (i !== expected.length) return false;
  const view = loaded.view;
  const viewKeys = loaded.viewKeys;
  for (let i = 0; i < viewKeys.length; i++) {
    const key = viewKeys[i]!;
    if (!sameJson(session[key], view[key])) return false;
  }
  return true;
}

const PROBE: CookieShared = {
  app: undefined as never,
  codec: undefined as never,
  key: '',
  prefix: '',
  options: {},
  autoCommit: true,
  valid: undefined,
  beforeSave: undefined,
};

function hasProtoKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || hasProtoKey((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** A deep copy of a value JSON.parse made (plain objects, arrays, primitives). */
function copyJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy = value.slice();
    for (let i = 0; i < copy.length; i++) {
      const item = copy[i];
      if (item !== null && typeof item === 'object') copy[i] = copyJson(item);
    }
    return copy;
  }
  // a spread clone (one builtin that follows the source's shape) instead of a keyed store per
  // field: saves the megamorphic stores; only nested values are copied one by one
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key in copy) {
    const item = copy[key];
    if (item === null || typeof item !== 'object') continue;
    // an own "__proto__" (JSON.parse makes one) must stay a property, not become the prototype
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: copyJson(item), enumerable: true, writable: true });
    else copy[key] = copyJson(item);
  }
  return copy;
}

/**
 * True only when `value` would serialize to the same JSON as `loaded` (a tree JSON.parse made):
 * the same plain objects (same keys in the same order), arrays and primitives. Anything else
 * (a Date, a class instance, NaN, undefined) answers false, and the caller compares JSON text.
 */
function sameJson(value: unknown, loaded: unknown): boolean {
  if (value === loaded) return true;
  if (value === null || loaded === null || typeof value !== 'object' || typeof loaded !== 'object') return false;
  if (Array.isArray(loaded)) {
    if (!Array.isArray(value) || value.length !== loaded.length) return false;
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
    for (let i = 0; i < loaded.length; i++) if (!sameJson(value[i], loaded[i])) return false;
    return true;
  }
  if (Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  const keys = Object.keys(value);
  const loadedKeys = Object.keys(loaded);
  if (keys.length !== loadedKeys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key !== loadedKeys[i]) return false;
    if (!sameJson((value as Record<string, unknown>)[key], (loaded as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function toJsonText(data: Record<string, unknown>): string {
  try {
    return JSON.stringify(data);
  } catch (err) {
    throw notSerializable(err);
  }
}

function contextOf(ctx: Ctx, shared: CookieShared): CookieContext {
  const slot = ctx as unknown as Record<symbol, CookieContext | undefined>;
  let context = slot[CONTEXT];
  if (context === undefined) {
    context = new CookieContext(ctx, shared);
    slot[CONTEXT] = context;
  }
  return context;
}

/**
 * Defines `ctx.session` and `ctx.sessionOptions` on the app's context (as koa-session does) and
 * returns the middleware that commits the session after downstream, even when downstream threw
 * (a commit error then wins, as in koa-session).
 */
export function installCookieSessions(shared: CookieShared): (ctx: Ctx, next: Next) => Promise<void> {
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

  if (!shared.autoCommit)
    return function cookieSession(_ctx: Ctx, next: Next): Promise<void> {
      return next();
    };
  return function cookieSession(ctx: Ctx, next: Next): Promise<void> {
    return next().then(
      () => commit(ctx),
      (err: unknown) => {
        commit(ctx);
        throw err;
      },
    );
  };
}

function commit(ctx: Ctx): void {
  const context = (ctx as unknown as Record<symbol, CookieContext | undefined>)[CONTEXT];
  if (context !== undefined) context.commit();
}
