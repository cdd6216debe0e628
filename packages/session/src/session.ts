import { randomUUID } from 'node:crypto';
import { optionError } from '@koa-kit/common';
import type Koa from 'koa';
import type { Middleware, Next, ParameterizedContext } from 'koa';
import { Codec } from './codec.js';
import { installCookieSessions } from './cookie-session.js';
import { isHttpError, misconfigured } from './errors.js';
import { keysProblem, type ResolvedOptions, resolveOptions, type SessionOptions } from './options.js';
import { SYNC_GET } from './store.js';
import { installStoreSessions } from './store-session.js';

type Ctx = ParameterizedContext<any, any, any>;
type Inner = (ctx: Ctx, next: Next) => Promise<void>;

/**
 * Encrypted cookie sessions (default) or store sessions for Koa, each on a per-request context of
 * ours with koa-session's semantics (cookie-session.ts, store-session.ts).
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
  if (isApp(options)) throw optionError('session', 'pass the app once, with the options: session(options, app)');
  if (app !== undefined && !isApp(app)) throw optionError('session', 'the second argument must be a Koa app');
  const opts = resolveOptions(options ?? {});
  const perApp = new WeakMap<Koa<any, any>, Inner>();
  let lastApp: Koa<any, any> | undefined;
  let lastInner: Inner | undefined;
  if (app !== undefined) {
    try {
      perApp.set(app, install(app, opts));
    } catch (err) {
      // set-up problems found at factory time are the caller's mistake: a TypeError, as options are
      throw isHttpError(err) ? optionError('session', err.message) : err;
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

/** The cookie's attributes, shared by both kinds of session. */
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

/** Builds the codec and the middleware for one app (it defines `ctx.session` on `app.context`). */
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

  // Store sessions: our own per-request context too (koa-session's semantics, loaded lazily),
  // see store-session.ts.
  const prefix = opts.prefix;
  return installStoreSessions({
    app,
    store,
    codec,
    key: opts.key,
    prefix: `${opts.key}=`,
    options: Object.freeze(cookieAttributes(opts)),
    autoCommit: opts.autoCommit,
    timeout: opts.storeTimeout,
    valid: opts.valid,
    beforeSave: opts.beforeSave,
    genid: opts.genid ?? (prefix === undefined ? () => randomUUID() : () => `${prefix}${randomUUID()}`),
    syncGet: (store as unknown as Record<symbol, unknown>)[SYNC_GET] === true ? true : undefined,
  });
}
