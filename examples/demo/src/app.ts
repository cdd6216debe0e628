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
import { partialIds, UploadOwners, uploadNotFound } from './upload-owners.js';

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

export async function createDemo(options: DemoOptions): Promise<Koa> {
  const trustedProxies = checkTrustedProxies(options.trustedProxies);
  const tusDir = path.join(options.dataDir, 'tus');
  const formDir = path.join(options.dataDir, 'incoming');
  await Promise.all([tusDir, formDir].map((dir) => mkdir(dir, { recursive: true })));
  const files = new FileStore(path.join(options.dataDir, 'files'));
  const owners = new UploadOwners(path.join(options.dataDir, 'tus-owners'));
  await owners.init();
  const secret = options.jwtSecret ?? DEMO_JWT_SECRET;
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
  app.use(session({ store: sessionStore }));

  const verifyToken = jwt({ secret, algorithms: ['HS256'], cache: { max: options.maxCachedTokens ?? 1000 } });
  /** A valid token whose login has not ended (logout ends every login of the user). */
  const authenticated: Koa.Middleware = (ctx, next) =>
    verifyToken(ctx, async () => {
      const { sub, jti } = ctx.state.jwt!.payload;
      if (typeof sub !== 'string' || typeof jti !== 'string' || !(await logins.isLive(sub, jti))) {
        ctx.throw(401, 'The token has been revoked', {
          code: 'TOKEN_REVOKED',
          headers: { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"' },
        });
      }
      await next();
    });
  const tokenIfAny = jwt({ secret, algorithms: ['HS256'], passthrough: true, cache: false });
  const userOf = (ctx: Koa.Context) => String(ctx.state.jwt!.payload.sub);

  const api = new Router({ prefix: '/api' });
  api.use(rateLimit({ max: apiMax, duration: '1m', namespace: 'api', ...storeLimits }));
  api.use(statusEnvelope());

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
    basicAuth({ users: options.users ?? { ...DEMO_USERS }, realm: 'koa-kit demo' }),
    async (ctx) => {
      const name = String(ctx.state.user?.name);
      const login = await logins.start(name);
      await ctx.session.regenerate();
      ctx.session.user = name;
      ctx.session.login = login;
      ctx.session.visits = 0;
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
    const user = typeof fromToken === 'string' ? fromToken : await sessionUser(ctx, logins);
    if (user !== undefined) await logins.endAll(user);
    ctx.session = null;
    ctx.body = { loggedOut: true };
  });

  api.get('/me', authenticated, async (ctx) => {
    const user = userOf(ctx);
    const visits = (await sessionUser(ctx, logins)) === user ? Number(ctx.session.visits ?? 0) : 0;
    ctx.body = { user, scope: ctx.state.user?.scope, visits };
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

  api.get('/files', authenticated, requireScope('files:read'), async (ctx) => {
    ctx.body = await files.list(userOf(ctx));
  });

  api.post(
    '/form-uploads',
    authenticated,
    requireScope('files:write'),
    upload({ dest: formDir, single: 'file', limits: { fileSize: 50 * 1024 * 1024 } }),
    async (ctx) => {
      const file = ctx.request.file;
      if (!file) return ctx.throw(400, 'The form has no "file" field', { code: 'FILE_MISSING' });
      const stored = await files.keep(userOf(ctx), file.path, file.originalname, file.size);
      ctx.status = 201;
      ctx.body = stored;
    },
  );

  const tus = resumableUpload({
    path: '/api/uploads',
    directory: tusDir,
    maxSize: 2 * 1024 * 1024 * 1024,
    async onUploadCreate(ctx, created) {
      await owners.record(created.id, userOf(ctx));
    },
    async onUploadFinish(ctx, finished) {
      await files.keep(userOf(ctx), finished.path, finished.metadata.filename ?? finished.id, finished.size);
    },
  });
  // Checked before resumableUpload() sees the request, so a refused request changes nothing
  // (a refused concatenation must not discard the other user's partial uploads).
  async function ownUploadsOnly(ctx: Koa.Context, next: Koa.Next): Promise<void> {
    const user = userOf(ctx);
    const ids = ctx.params.id !== undefined ? [ctx.params.id] : partialIds(ctx.get('Upload-Concat'));
    for (const id of ids) {
      if (!(await owners.owns(user, id))) uploadNotFound(ctx);
    }
    await next();
  }
  api.all(['/uploads', '/uploads/:id'], authenticated, requireScope('files:write'), ownUploadsOnly, tus);

  const downloads = new Router();
  downloads.get('/downloads/:id', async (ctx) => {
    const user = await sessionUser(ctx, logins);
    if (user === undefined) return ctx.throw(401, 'Log in to download files', { code: 'LOGIN_REQUIRED' });
    const file = await files.find(user, ctx.params.id ?? '');
    if (!file) return ctx.throw(404, 'No such file', { code: 'FILE_NOT_FOUND' });
    await sendFile(ctx, file.path, { filename: file.name });
  });

  app.use(api.routes());
  app.use(api.allowedMethods({ throw: true }));
  app.use(downloads.routes());
  app.use(downloads.allowedMethods({ throw: true }));
  return app;
}
