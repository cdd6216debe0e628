import type Koa from 'koa';
import type { Middleware, Next, ParameterizedContext } from 'koa';
import createSession from 'koa-session';
import { Codec } from './codec.js';
import { installCookieSessions } from './cookie-session.js';
import { isHttpError, misconfigured, notSerializable, SESSION_ERROR_CODES, storeUnavailable } from './errors.js';
import { keysProblem, type ResolvedOptions, resolveOptions, type SessionOptions } from './options.js';
import type { SessionRecord, SessionStore, StoreContext } from './store.js';

type Ctx = ParameterizedContext<any, any, any>;
type Inner = (ctx: Ctx, next: Next) => Promise<void>;

/** Set on ctx when the id cookie verified with an old key: the store adapter then forces a save. */
const STALE_ID = Symbol('koa-kit.session.staleId');
const UNSIGNED = Object.freeze({ signed: false });
/** The TypeErrors JSON.stringify throws (V8 wording). */
const JSON_ERROR = /circular structure|serialize a BigInt/;

/**
 * Encrypted cookie sessions (default) or store sessions for Koa. Store sessions run on koa-session;
 * cookie sessions on our own per-request context with koa-session's semantics (cookie-session.ts).
 * `app.use(session({ keys }))` is set up against `ctx.app` on the first request;
 * `session(options, app)` (or koa-session's `session(app, options)`) at once, so `ctx.session`
 * exists before any request passed through it.
 */
export function session(options: SessionOptions, app: Koa<any, any>): Middleware;
export function session(app: Koa<any, any>, options?: SessionOptions): Middleware;
// last, so that `Parameters<typeof session>` is the usual `[options?]`
export function session(options?: SessionOptions): Middleware;
export function session(first?: SessionOptions | Koa<any, any>, second?: SessionOptions | Koa<any, any>): Middleware {
  const [options, app] = isApp(first) ? [second, first] : [first, second];
  if (isApp(options)) throw new TypeError('session: pass the app once, with the options: session(options, app)');
  if (app !== undefined && !isApp(app)) throw new TypeError('session: the second argument must be a Koa app');
  const opts = resolveOptions(options ?? {});
  const perApp = new WeakMap<Koa<any, any>, Inner>();
  let lastApp: Koa<any, any> | undefined;
  let lastInner: Inner | undefined;
  if (app !== undefined) {
    try {
      perApp.set(app, install(app, opts));
    } catch (err) {
      // set-up problems found at factory time are the caller's mistake: a TypeError, as options are
      throw isHttpError(err) ? new TypeError(`session: ${err.message}`) : err;
    }
  }

  return function session(ctx: Ctx, next: Next): Promise<void> {
    const app = ctx.app;
    if (app === lastApp) return lastInner!(ctx, next);
    let inner = perApp.get(app);
    if (inner === undefined) {
      try {
        inner = install(app, opts);
      } catch (err) {
        return Promise.reject(err);
      }
      perApp.set(app, inner);
    }
    lastApp = app;
    lastInner = inner;
    return inner(ctx, next);
  };
}

function isApp(value: unknown): value is Koa<any, any> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { use?: unknown }).use === 'function' &&
    typeof (value as { context?: unknown }).context === 'object'
  );
}

/**
 * koa-session hashes the data with JSON.stringify before it saves: a cycle or a BigInt throws a
 * bare TypeError from its commit. Name it, but only when it did not come from downstream.
 */
function withJsonErrors(inner: Inner): Inner {
  return (ctx, next) => {
    let downstream: unknown;
    const guarded: Next = () =>
      next().catch((err: unknown) => {
        downstream = err;
        throw err;
      });
    return inner(ctx, guarded).catch((err: unknown) => {
      if (err !== downstream && err instanceof TypeError && JSON_ERROR.test(err.message)) throw notSerializable(err);
      throw err;
    });
  };
}

/** The cookie's attributes, shared by cookie sessions and koa-session's store sessions. */
function cookieAttributes(opts: ResolvedOptions): Record<string, unknown> {
  const attributes: Record<string, unknown> = {
    key: opts.key,
    maxAge: opts.maxAge,
    rolling: opts.rolling,
    renew: opts.renew,
    httpOnly: opts.httpOnly,
    path: opts.path,
    overwrite: true,
    // Signing is ours (Keygrip sha256, inside the value), not Cookies' sha1 `.sig` cookie.
    signed: false,
  };
  // false omits the attribute: leave it out, as koa-session's option schema takes only strings
  if (opts.sameSite !== false) attributes.sameSite = opts.sameSite;
  if (opts.secure !== undefined) attributes.secure = opts.secure;
  if (opts.domain !== undefined) attributes.domain = opts.domain;
  return attributes;
}

/** Builds the codec and koa-session's middleware for one app (koa-session extends `app.context`). */
function install(app: Koa<any, any>, opts: ResolvedOptions): Inner {
  if (Object.hasOwn(app.context, 'sessionOptions')) {
    throw misconfigured('a session middleware (koa-session or @koa-kit/session) is already installed on this app');
  }
  const store = opts.store;
  const needsKeys = store === undefined || opts.signed;
  const keys = opts.keys ?? (app.keys as unknown);
  if (needsKeys) {
    const problem = keysProblem(keys);
    if (problem) throw misconfigured(`session keys (options.keys or app.keys) ${problem}`);
  }
  const codec = needsKeys ? new Codec(opts.key, keys as string[], opts.signed, opts.cacheSize) : undefined;

  if (store === undefined) {
    // Cookie sessions: our own per-request context (koa-session's semantics, without its
    // per-request objects and hashes: the speed goal), see cookie-session.ts.
    return installCookieSessions({
      app,
      codec: codec!,
      key: opts.key,
      prefix: `${opts.key}=`,
      options: Object.freeze(cookieAttributes(opts)),
      autoCommit: opts.autoCommit,
      valid: opts.valid,
      beforeSave: opts.beforeSave,
    });
  }

  const koaSessionOptions: Record<string, unknown> = {
    ...cookieAttributes(opts),
    autoCommit: opts.autoCommit,
    store: storeAdapter(store, opts.storeTimeout),
    externalKey: {
      get(ctx: Ctx): string | undefined {
        const raw = ctx.cookies.get(opts.key, UNSIGNED);
        if (!raw) return undefined;
        if (codec === undefined) return raw;
        const verified = codec.verifyId(raw);
        if (verified === undefined) {
          // a cookie that does not verify is a missed session, as an id the store lacks is
          setImmediate(() => app.emit('session:missed', { key: undefined, value: undefined, ctx }));
          return undefined;
        }
        if (verified.stale) (ctx as unknown as Record<symbol, boolean>)[STALE_ID] = true;
        return verified.text;
      },
      set(ctx: Ctx, id: string): void {
        const cookieOptions = ctx.sessionOptions as Record<string, unknown>;
        const value = codec === undefined ? id : codec.signId(id);
        // koa-session passes 'session' through; Cookies needs no maxAge for a browser-session cookie
        if (cookieOptions.maxAge === 'session')
          ctx.cookies.set(opts.key, value, { ...cookieOptions, maxAge: undefined });
        else ctx.cookies.set(opts.key, value, cookieOptions);
      },
    },
  };
  if (opts.valid !== undefined) koaSessionOptions.valid = opts.valid;
  if (opts.beforeSave !== undefined) koaSessionOptions.beforeSave = opts.beforeSave;
  if (opts.genid !== undefined) koaSessionOptions.genid = opts.genid;
  if (opts.prefix !== undefined) koaSessionOptions.prefix = opts.prefix;
  return withDeferredLoadErrors(app, withJsonErrors(createSession(koaSessionOptions as never, app) as Inner));
}

/** Set on ctx when koa-session's load from the store failed: reading `ctx.session` throws it. */
const LOAD_FAILED = Symbol('koa-kit.session.loadFailed');

/**
 * koa-session loads a store session before downstream runs, so a store outage would fail every
 * request that carries the cookie, even those that never use the session (assets, health checks).
 * When the load fails, run downstream without a session instead: the error (a 503) surfaces only
 * when `ctx.session` is read or assigned, and nothing is committed.
 */
function withDeferredLoadErrors(app: Koa<any, any>, inner: Inner): Inner {
  const original = Object.getOwnPropertyDescriptor(app.context, 'session')!;
  Object.defineProperty(app.context, 'session', {
    get(this: Ctx) {
      const failed = (this as unknown as Record<symbol, unknown>)[LOAD_FAILED];
      if (failed !== undefined) throw failed;
      return original.get!.call(this);
    },
    set(this: Ctx, value: unknown) {
      const failed = (this as unknown as Record<symbol, unknown>)[LOAD_FAILED];
      if (failed !== undefined) throw failed;
      original.set!.call(this, value);
    },
    configurable: true,
  });
  return (ctx, next) => {
    let entered = false;
    const tracked: Next = () => {
      entered = true;
      return next();
    };
    return inner(ctx, tracked).catch((err: unknown) => {
      if (entered || !isHttpError(err) || err.code !== SESSION_ERROR_CODES.STORE_UNAVAILABLE) throw err;
      (ctx as unknown as Record<symbol, unknown>)[LOAD_FAILED] = err;
      return next();
    });
  };
}

/**
 * The store as koa-session calls it: every call bounded by `timeout`, every failure a 503
 * SESSION_STORE_UNAVAILABLE (an HttpError from the store passes through as it is).
 */
function storeAdapter(store: SessionStore, timeout: number) {
  const guard = <T>(call: () => T | Promise<T>): T | Promise<T> => {
    let result: T | Promise<T>;
    try {
      result = call();
    } catch (err) {
      return Promise.reject(isHttpError(err) ? err : storeUnavailable(err));
    }
    if (!(result instanceof Promise)) return result;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(storeUnavailable(new Error(`the session store did not answer within ${timeout} ms`)));
      }, timeout);
      result.then(
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
  };

  const checked = (data: unknown, ctx: Ctx): SessionRecord | undefined => {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
    if ((ctx as unknown as Record<symbol, boolean>)[STALE_ID])
      return { ...(data as SessionRecord), _requireSave: true };
    return data as SessionRecord;
  };

  return {
    get(id: string, _maxAge: unknown, context: StoreContext) {
      const result = guard(() => store.get(id, context));
      return result instanceof Promise
        ? result.then((data) => checked(data, context.ctx))
        : checked(result, context.ctx);
    },
    set(id: string, data: SessionRecord, maxAge: unknown, context: StoreContext) {
      // koa-session's save turns a 'session' maxAge into undefined for the rest of the request, so
      // a second save (after regenerate()) would make a one-day cookie: keep it 'session'
      if (data._session === true) (context.ctx.sessionOptions as Record<string, unknown>).maxAge = 'session';
      return guard(() => store.set(id, data, typeof maxAge === 'number' ? maxAge : undefined, context));
    },
    destroy(id: string, context: StoreContext) {
      return guard(() => store.destroy(id, context));
    },
  };
}
