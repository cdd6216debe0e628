import { mkdir, readdir, rename, stat } from 'node:fs/promises';
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

export interface DemoOptions {
  /** Folder for uploaded files and unfinished uploads; created if missing. */
  dataDir: string;
  /** An ioredis client: sessions and rate limits are kept in Redis instead of memory. */
  redis?: Redis;
  /** Cookie signing keys (the first signs). */
  keys?: string[];
  /** HS256 secret for the API's tokens. */
  jwtSecret?: string;
  /** Basic-auth users of `/api/login`. */
  users?: Record<string, string>;
  /** Requests per minute per client on `/api` (the login route allows a tenth, at least 5). */
  apiRateLimit?: number;
  /** Trust X-Forwarded-* headers (behind a reverse proxy). */
  proxy?: boolean;
  /** Most sessions the memory store keeps (default 10,000). */
  maxSessions?: number;
  /** Most verified tokens jwt() caches (default 1,000). */
  maxCachedTokens?: number;
}

export const DEMO_USERS = { demo: 'demo-password' };
const DEMO_KEYS = ['demo-cookie-key-change-me-in-production'];
const DEMO_JWT_SECRET = 'demo-jwt-secret-change-me-in-production-0123456789';
const TOKEN_SCOPE = 'files:read files:write';
const publicDir = fileURLToPath(new URL('../public', import.meta.url));
const tusBrowserDir = path.dirname(createRequire(import.meta.url).resolve('tus-js-client/dist/tus.min.js'));

/** A safe file name for the files folder: the last path segment, no dotfiles, no control characters. */
function storedName(name: string | null | undefined): string {
  const base = path.basename(String(name ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '');
  return base && !base.startsWith('.') ? base.slice(0, 200) : `upload-${Date.now()}`;
}

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

export async function createDemo(options: DemoOptions): Promise<Koa> {
  const filesDir = path.join(options.dataDir, 'files');
  const tusDir = path.join(options.dataDir, 'tus');
  const formDir = path.join(options.dataDir, 'incoming');
  await Promise.all([filesDir, tusDir, formDir].map((dir) => mkdir(dir, { recursive: true })));
  const secret = options.jwtSecret ?? DEMO_JWT_SECRET;
  const apiMax = options.apiRateLimit ?? 600;
  const redis = options.redis;

  const app = new Koa({ proxy: options.proxy ?? false });
  app.keys = options.keys ?? DEMO_KEYS;

  const storeLimits = redis ? { driver: 'redis' as const, db: redis } : {};
  const sessionStore = redis
    ? redisStore({ client: redis, prefix: 'demo:sess:' })
    : memoryStore({ max: options.maxSessions ?? 10_000 });

  async function keepFile(from: string, name: string): Promise<string> {
    const target = storedName(name);
    await rename(from, path.join(filesDir, target));
    return target;
  }

  // No stacks in responses, even in development: the demo is what newcomers copy.
  app.use(errors({ format: 'envelope', stack: false }));
  app.use(rangeDownload());
  app.use(serveStatic(publicDir, { prefix: '/assets' }));
  app.use(serveStatic(tusBrowserDir, { prefix: '/assets/vendor' }));
  app.use(serveStatic(publicDir, { index: 'index.html', extensions: ['html'] }));
  app.use(session({ store: sessionStore }));

  const authenticated = jwt({ secret, algorithms: ['HS256'], cache: { max: options.maxCachedTokens ?? 1000 } });
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
    basicAuth({ users: options.users ?? DEMO_USERS, realm: 'koa-kit demo' }),
    async (ctx) => {
      const name = String(ctx.state.user?.name);
      await ctx.session!.regenerate();
      ctx.session!.user = name;
      ctx.session!.visits = 0;
      const token = sign({ sub: name, scope: TOKEN_SCOPE }, secret, { algorithm: 'HS256', expiresIn: '1h' });
      ctx.body = { token, user: name };
    },
  );

  api.post('/logout', (ctx) => {
    ctx.session = null;
    ctx.body = { loggedOut: true };
  });

  api.get('/me', authenticated, (ctx) => {
    ctx.body = { user: ctx.state.user?.sub, scope: ctx.state.user?.scope, visits: ctx.session?.visits ?? 0 };
  });

  api.post('/visits', authenticated, (ctx) => {
    const visits = Number(ctx.session!.visits ?? 0) + 1;
    ctx.session!.visits = visits;
    ctx.body = { visits };
  });

  api.get('/files', authenticated, requireScope('files:read'), async (ctx) => {
    const names = await readdir(filesDir);
    // A file removed between readdir and stat is simply not listed.
    const sizes = await Promise.all(
      names.map((name) =>
        stat(path.join(filesDir, name)).then(
          (s) => s.size,
          () => -1,
        ),
      ),
    );
    ctx.body = names
      .map((name, i) => ({ name, size: sizes[i]! }))
      .filter((file) => file.size >= 0)
      .sort((a, b) => a.name.localeCompare(b.name));
  });

  api.post(
    '/form-uploads',
    authenticated,
    requireScope('files:write'),
    upload({ dest: formDir, single: 'file', limits: { fileSize: 50 * 1024 * 1024 } }),
    async (ctx) => {
      const file = ctx.request.file;
      if (!file) return ctx.throw(400, 'The form has no "file" field', { code: 'FILE_MISSING' });
      const name = await keepFile(file.path, file.originalname);
      ctx.status = 201;
      ctx.body = { name, size: file.size };
    },
  );

  const tus = resumableUpload({
    path: '/api/uploads',
    directory: tusDir,
    maxSize: 2 * 1024 * 1024 * 1024,
    async onUploadFinish(_ctx, finished) {
      await keepFile(finished.path, finished.metadata.filename ?? finished.id);
    },
  });
  api.all(['/uploads', '/uploads/:id'], authenticated, requireScope('files:write'), tus);

  const downloads = new Router();
  downloads.get('/downloads/:name', async (ctx) => {
    if (!ctx.session?.user) ctx.throw(401, 'Log in to download files', { code: 'LOGIN_REQUIRED' });
    const name = ctx.params.name ?? '';
    if (storedName(name) !== name) ctx.throw(404, 'No such file', { code: 'FILE_NOT_FOUND' });
    await sendFile(ctx, path.join(filesDir, name), { filename: name });
  });

  app.use(api.routes());
  app.use(api.allowedMethods({ throw: true }));
  app.use(downloads.routes());
  app.use(downloads.allowedMethods({ throw: true }));
  return app;
}
