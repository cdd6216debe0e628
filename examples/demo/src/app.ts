import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from '@koa/router';
import { basicAuth } from '@koa-kit/auth-basic';
import { errors } from '@koa-kit/errors';
import { jwt, requireScope, sign } from '@koa-kit/jwt';
import { rangeDownload, sendFile } from '@koa-kit/range-download';
import { rateLimit } from '@koa-kit/rate-limit';
import { memoryStore, redisStore, session } from '@koa-kit/session';
import { serveStatic } from '@koa-kit/static';
import { statusEnvelope } from '@koa-kit/status-envelope';
import { resumableUpload, upload } from '@koa-kit/upload';
import type { Redis } from 'ioredis';
import Koa from 'koa';
import { DEMO_JWT_SECRET, DEMO_KEYS, DEMO_USERS } from './config.js';
import { FileStore } from './files.js';
import { type Logins, memoryLogins, redisLogins } from './logins.js';

export { DEMO_USERS } from './config.js';

export interface DemoOptions {
  /** Folder for uploaded files and unfinished uploads; created if missing. */
  dataDir: string;
  /** An ioredis client: sessions, logins and rate limits are kept in Redis instead of memory. */
  redis?: Redis;
  /** Cookie signing keys (the first signs). Default: the built-in demo key. */
  keys?: string[];
  /** HS256 secret for the API's tokens. Default: the built-in demo secret. */
  jwtSecret?: string;
  /** Basic-auth users of `/api/login`. Default: the built-in demo user. */
  users?: Record<string, string>;
  /** Requests per minute per client on `/api` (the login route allows a tenth, at least 5). */
  apiRateLimit?: number;
  /**
   * Reverse proxies in front of the app, each appending to X-Forwarded-For (Koa's `maxIpsCount`).
   * Default 0: X-Forwarded-* headers are ignored and the client is the socket's address.
   */
  trustedProxies?: number;
  /** Most sessions the memory store keeps (default 10,000). */
  maxSessions?: number;
  /** Most verified tokens jwt() caches (default 1,000). */
  maxCachedTokens?: number;
}

const TOKEN_SCOPE = 'files:read files:write';
const publicDir = fileURLToPath(new URL('../public', import.meta.url));
const tusBrowserDir = path.dirname(createRequire(import.meta.url).resolve('tus-js-client/dist/tus.min.js'));

/**
 * Browsers answer a `WWW-Authenticate: Basic` challenge with their own login dialog, even to a
 * script's fetch(), and the fetch hangs behind it. A page that logs in by script says so with
 * `X-Requested-With`; for it the challenge's scheme is renamed so the browser leaves it to the page.
 * Other clients (curl, API clients) get the standard challenge.
 */
async function quietChallengeForScripts(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    const headers = (err as { headers?: Record<string, string> }).headers;
    const challenge = headers?.['WWW-Authenticate'];
    if (ctx.get('X-Requested-With') && challenge?.startsWith('Basic ')) headers!['WWW-Authenticate'] = `X-${challenge}`;
    throw err;
  }
}

function checkTrustedProxies(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError('"trustedProxies" option must be a non-negative integer');
  }
  return value;
}

function checkKeys(keys: unknown): string[] | undefined {
  if (keys === undefined) return undefined;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    keys.some((k) => typeof k !== 'string' || Buffer.byteLength(k) < 32)
  ) {
    throw new TypeError('"keys" option must be a non-empty array of strings of at least 32 bytes');
  }
  return [...keys];
}

/** Errors under /api are enveloped; pages get problem details, or an HTML page for browsers. */
function errorsByArea(): Koa.Middleware {
  const apiErrors = errors({ format: 'envelope', stack: false });
  const pageErrors = errors({ stack: false });
  return function demoErrors(ctx, next) {
    const underApi = ctx.path === '/api' || ctx.path.startsWith('/api/');
    return underApi ? apiErrors(ctx, next) : pageErrors(ctx, next);
  };
}

/** The user of a live login on this session, or undefined. */
async function sessionUser(ctx: Koa.Context, logins: Logins): Promise<string | undefined> {
  const { user, login } = ctx.session ?? {};
  if (typeof user !== 'string' || typeof login !== 'string') return undefined;
  return (await logins.isLive(user, login)) ? user : undefined;
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF: the session cookie is `SameSite=Strict`, and a state-changing request that rides the cookie
 * must also carry this app's own `Origin` (browsers send it on every POST, PUT, PATCH and DELETE).
 * SameSite alone is not enough: another port of the same host is the same site.
 */
function refuseForeignOrigin(ctx: Koa.Context, { required }: { required: boolean }): void {
  const origin = ctx.get('Origin');
  // Not ctx.origin: in Koa 3 that is the Origin header itself.
  if (origin === '' ? !required : origin === `${ctx.protocol}://${ctx.host}`) return;
  ctx.throw(403, 'A request that uses the session cookie must come from this page', { code: 'ORIGIN_REFUSED' });
}

function loginRequired(ctx: Koa.Context, message: string): never {
  return ctx.throw(401, message, {
    code: 'LOGIN_REQUIRED',
    headers: { 'WWW-Authenticate': 'Bearer realm="api"' },
  });
}

export async function createDemo(options: DemoOptions): Promise<Koa> {
  const trustedProxies = checkTrustedProxies(options.trustedProxies);
  const tusDir = path.join(options.dataDir, 'tus');
  const formDir = path.join(options.dataDir, 'incoming');
  await Promise.all([tusDir, formDir].map((dir) => mkdir(dir, { recursive: true })));
  const files = new FileStore(path.join(options.dataDir, 'files'));
  const secret = options.jwtSecret ?? DEMO_JWT_SECRET;
  const users = options.users ?? { ...DEMO_USERS };
  const apiMax = options.apiRateLimit ?? 600;
  const redis = options.redis;

  const app = new Koa({ proxy: trustedProxies > 0, maxIpsCount: trustedProxies });
  app.keys = checkKeys(options.keys) ?? [...DEMO_KEYS];

  const storeLimits = redis ? { driver: 'redis' as const, db: redis } : {};
  const sessionStore = redis
    ? redisStore({ client: redis, prefix: 'demo:sess:' })
    : memoryStore({ max: options.maxSessions ?? 10_000 });
  const logins = redis ? redisLogins(redis) : memoryLogins();

  // No stacks in responses, even in development: the demo is what newcomers copy.
  app.use(errorsByArea());
  app.use(rangeDownload());
  app.use(serveStatic(publicDir, { prefix: '/assets' }));
  app.use(serveStatic(tusBrowserDir, { prefix: '/assets/vendor' }));
  app.use(serveStatic(publicDir, { index: 'index.html', extensions: ['html'] }));
  app.use(session({ store: sessionStore, sameSite: 'strict' }));

  const verifyToken = jwt({ secret, algorithms: ['HS256'], cache: { max: options.maxCachedTokens ?? 1000 } });
  const tokenIfAny = jwt({ secret, algorithms: ['HS256'], passthrough: true, cache: false });

  /**
   * The browser rides the session cookie; API clients send `Authorization: Bearer` (a token from
   * `POST /api/login?token=1`). Either way the login must still be live: logout ends them all.
   * The user lands on `ctx.state.demoUser`.
   */
  const authenticated: Koa.Middleware = async (ctx, next) => {
    if (ctx.get('Authorization') !== '') {
      return verifyToken(ctx, async () => {
        const { sub, jti } = ctx.state.jwt!.payload;
        if (typeof sub !== 'string' || typeof jti !== 'string' || !(await logins.isLive(sub, jti))) {
          ctx.throw(401, 'The token has been revoked', {
            code: 'TOKEN_REVOKED',
            headers: { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"' },
          });
        }
        ctx.state.demoUser = sub;
        await next();
      });
    }
    if (typeof ctx.session?.login !== 'string') loginRequired(ctx, 'Log in first');
    const user = await sessionUser(ctx, logins);
    if (user === undefined) loginRequired(ctx, 'Your login has ended: log in again');
    if (UNSAFE_METHODS.has(ctx.method)) refuseForeignOrigin(ctx, { required: true });
    ctx.state.demoUser = user;
    await next();
  };
  /** Scopes are a token's: a browser's login may do everything the page offers. */
  const needsScope = (scope: string): Koa.Middleware => {
    const check = requireScope(scope);
    return (ctx, next) => (ctx.state.jwt ? check(ctx, next) : next());
  };
  const userOf = (ctx: Koa.Context) => String(ctx.state.demoUser);

  const api = new Router({ prefix: '/api' });
  api.use(rateLimit({ max: apiMax, duration: '1m', namespace: 'api', ...storeLimits }));
  api.use(statusEnvelope());

  // The built-in credentials, for the login form to show; nothing once DEMO_USERS is set.
  const builtInLogin = Object.entries(DEMO_USERS).find(([name, password]) => users[name] === password);
  api.get('/demo-login', (ctx) => {
    ctx.body = { credentials: builtInLogin ? { user: builtInLogin[0], password: builtInLogin[1] } : null };
  });

  api.post(
    '/login',
    quietChallengeForScripts,
    // Fail closed: while the store is down, logins are refused (503) rather than left unlimited.
    rateLimit({
      max: Math.max(5, Math.floor(apiMax / 10)),
      duration: '1m',
      namespace: 'login',
      onStoreError: 'deny',
      ...storeLimits,
    }),
    // A login form posted from another site would log the victim into the attacker's account.
    (ctx, next) => {
      refuseForeignOrigin(ctx, { required: false });
      return next();
    },
    basicAuth({ users, realm: 'koa-kit demo' }),
    async (ctx) => {
      const name = String(ctx.state.user?.name);
      const login = await logins.start(name);
      await ctx.session.regenerate();
      ctx.session.user = name;
      ctx.session.login = login;
      ctx.session.visits = 0;
      // A token only for API clients that ask for one; the page needs none.
      if (ctx.query.token !== '1') {
        ctx.body = { user: name };
        return;
      }
      const token = sign({ sub: name, scope: TOKEN_SCOPE }, secret, {
        algorithm: 'HS256',
        expiresIn: '1h',
        jwtid: login,
      });
      ctx.body = { token, user: name };
    },
  );

  // Logs the user out everywhere: every session and token of theirs stops working.
  api.post('/logout', tokenIfAny, async (ctx) => {
    const fromToken = ctx.state.jwt?.payload.sub;
    let user = typeof fromToken === 'string' ? fromToken : undefined;
    if (user === undefined) {
      user = await sessionUser(ctx, logins);
      if (user !== undefined) refuseForeignOrigin(ctx, { required: true });
    }
    if (user !== undefined) await logins.endAll(user);
    ctx.session = null;
    ctx.body = { loggedOut: true };
  });

  api.get('/me', authenticated, async (ctx) => {
    const user = userOf(ctx);
    const visits = (await sessionUser(ctx, logins)) === user ? Number(ctx.session.visits ?? 0) : 0;
    ctx.body = { user, scope: ctx.state.jwt ? ctx.state.user?.scope : TOKEN_SCOPE, visits };
  });

  // Counts in the login's session: a token alone never creates a session (store entries come from logins).
  api.post('/visits', authenticated, async (ctx) => {
    if ((await sessionUser(ctx, logins)) !== userOf(ctx)) {
      ctx.throw(401, 'Visits are counted in the session of a login', { code: 'LOGIN_REQUIRED' });
    }
    const visits = Number(ctx.session.visits ?? 0) + 1;
    ctx.session.visits = visits;
    ctx.body = { visits };
  });

  api.get('/files', authenticated, needsScope('files:read'), async (ctx) => {
    ctx.body = await files.list(userOf(ctx));
  });

  api.delete('/files/:id', authenticated, needsScope('files:write'), async (ctx) => {
    if (!(await files.remove(userOf(ctx), ctx.params.id ?? ''))) {
      ctx.throw(404, 'No such file', { code: 'FILE_NOT_FOUND' });
    }
    ctx.body = { deleted: ctx.params.id };
  });

  api.post(
    '/form-uploads',
    authenticated,
    needsScope('files:write'),
    upload({ dest: formDir, single: 'file', limits: { fileSize: 50 * 1024 * 1024 } }),
    async (ctx) => {
      const file = ctx.request.file;
      if (!file) return ctx.throw(400, 'The form has no "file" field', { code: 'FILE_MISSING' });
      const stored = await files.keep(userOf(ctx), file.path, file.originalname, file.size);
      ctx.status = 201;
      ctx.body = stored;
    },
  );

  // Each upload records its owner in its metadata; `authorize` answers every later request on it
  // (HEAD, PATCH, DELETE, concatenation) as if the upload did not exist for anyone else.
  const tus = resumableUpload({
    path: '/api/uploads',
    directory: tusDir,
    maxSize: 2 * 1024 * 1024 * 1024,
    onUploadCreate: (ctx, created) => ({ metadata: { ...stringValues(created.metadata), owner: userOf(ctx) } }),
    authorize: (ctx, _action, stored) => stored.metadata.owner === userOf(ctx),
    async onUploadFinish(_ctx, finished) {
      const owner = String(finished.metadata.owner);
      await files.keep(owner, finished.path, finished.metadata.filename ?? finished.id, finished.size);
    },
  });
  api.all(['/uploads', '/uploads/:id'], authenticated, needsScope('files:write'), tus);

  const downloads = new Router();
  downloads.get('/downloads/:id', authenticated, needsScope('files:read'), async (ctx) => {
    const file = await files.find(userOf(ctx), ctx.params.id ?? '');
    if (!file) return ctx.throw(404, 'No such file', { code: 'FILE_NOT_FOUND' });
    await sendFile(ctx, file.path, { filename: file.name });
  });

  app.use(api.routes());
  app.use(api.allowedMethods({ throw: true }));
  app.use(downloads.routes());
  app.use(downloads.allowedMethods({ throw: true }));
  return app;
}

/** tus metadata values may be null (a key without a value); stored metadata must be strings. */
function stringValues(metadata: Record<string, string | null | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(metadata).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
