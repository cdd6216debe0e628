import type Koa from 'koa';
import type { Middleware, Next, ParameterizedContext } from 'koa';
import createSession from 'koa-session';
import { Codec } from './codec.js';
import { installCookieSessions } from './cookie-session.js';
import { isHttpError, misconfigured, notSerializable, storeUnavailable } from './errors.js';
import { keysProblem, type ResolvedOptions, resolveOptions, type SessionOptions } from './options.js';
import type { SessionRecord, SessionStore } from './store.js';

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
 * `app.use(session({ keys }))`; everything is set up against `ctx.app` on the first request.
 */
export function session(options: SessionOptions = {}): Middleware {
  const opts = resolveOptions(options);
  const perApp = new WeakMap<Koa<any, any>, Inner>();
  let lastApp: Koa<any, any> | undefined;
  let lastInner: Inner | undefined;

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
    sameSite: opts.sameSite,
    path: opts.path,
    overwrite: true,
    // Signing is ours (Keygrip sha256, inside the value), not Cookies' sha1 `.sig` cookie.
    signed: false,
  };
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
    });
  }

  const koaSessionOptions: Record<string, unknown> = {
    ...cookieAttributes(opts),
    autoCommit: true,
    store: storeAdapter(store, opts.storeTimeout),
    externalKey: {
      get(ctx: Ctx): string | undefined {
        const raw = ctx.cookies.get(opts.key, UNSIGNED);
        if (!raw) return undefined;
        if (codec === undefined) return raw;
        const verified = codec.verifyId(raw);
        if (verified === undefined) return undefined;
        if (verified.stale) (ctx as unknown as Record<symbol, boolean>)[STALE_ID] = true;
        return verified.text;
      },
      set(ctx: Ctx, id: string): void {
        ctx.cookies.set(opts.key, codec === undefined ? id : codec.signId(id), ctx.sessionOptions);
      },
    },
  };
  return withJsonErrors(createSession(koaSessionOptions as never, app) as Inner);
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
    get(id: string, _maxAge: unknown, { ctx }: { ctx: Ctx }) {
      const result = guard(() => store.get(id));
      return result instanceof Promise ? result.then((data) => checked(data, ctx)) : checked(result, ctx);
    },
    set(id: string, data: SessionRecord, maxAge: unknown) {
      return guard(() => store.set(id, data, typeof maxAge === 'number' ? maxAge : undefined));
    },
    destroy(id: string) {
      return guard(() => store.destroy(id));
    },
  };
}
