import { connect } from 'node:net';
import { type SessionOptions, session } from '@koa-kit/session';
import { type AppErrors, collectAppErrors, listen } from '@koa-kit/testing';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, sessionCookie, sleep } from './helpers.js';

// Cookie sessions run on our own per-request context (src/cookie-session.ts): a returning
// visitor's data is copied from a parsed template cached per cookie value, and "changed?" compares
// against what the cookie held. These tests guard that path: nothing written for a read, every
// kind of write saved, no request ever seeing another request's changes.

let pending: AppErrors[] = [];
afterEach(() => {
  const list = pending;
  pending = [];
  for (const errors of list) errors.assertNone();
});

type Handler = (ctx: Koa.Context) => unknown;

function appWith(routes: Record<string, Handler>, opts: SessionOptions = {}): Koa {
  const app = new Koa();
  app.keys = KEYS;
  pending.push(collectAppErrors(app));
  app.use(session(opts));
  app.use(async (ctx) => {
    const route = routes[ctx.path];
    if (route === undefined) return ctx.throw(404);
    const body = await route(ctx);
    ctx.body = body === undefined ? { ok: true } : body;
  });
  return app;
}

const routes: Record<string, Handler> = {
  '/login': (ctx) => {
    ctx.session!.user = { name: 'alice', roles: ['reader'] };
    ctx.session!.visits = 1;
  },
  '/me': (ctx) => ({ user: ctx.session!.user ?? null, visits: ctx.session!.visits ?? null }),
  '/promote': (ctx) => {
    (ctx.session!.user as { roles: string[] }).roles.push('admin');
  },
  '/rename': (ctx) => {
    (ctx.session!.user as { name: string }).name = 'alicia';
  },
  '/same-again': (ctx) => {
    ctx.session!.user = { name: 'alice', roles: ['reader'] };
  },
  '/forget-visits': (ctx) => {
    delete ctx.session!.visits;
  },
  '/undefined-field': (ctx) => {
    ctx.session!.nothing = undefined;
  },
  '/date': (ctx) => {
    ctx.session!.when = new Date(0);
  },
  '/replace-same': (ctx) => {
    void ctx.session!.user;
    ctx.session = { user: { name: 'alice', roles: ['reader'] }, visits: 1 };
  },
  '/replace-unread': (ctx) => {
    ctx.session = { user: { name: 'alice', roles: ['reader'] }, visits: 1 };
  },
  '/save': async (ctx) => {
    await ctx.session!.save();
  },
  '/max-age': (ctx) => {
    ctx.session!.maxAge = 5000;
  },
  '/options': (ctx) => {
    void ctx.session; // loading the session applies its saved maxAge (koa-session's `_maxAge`)
    return { maxAge: (ctx as unknown as { sessionOptions: { maxAge: unknown } }).sessionOptions.maxAge };
  },
};

async function login(app: Koa): Promise<string> {
  return sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
}

/** One request written line by line on a socket (repeated header lines, any case), the whole answer as text. */
function rawHttp(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${lines.join('\r\n')}\r\n\r\n`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

function get(app: Koa, path: string, cookie: string) {
  return request(app.callback()).get(path).set('Cookie', `koa.sess=${cookie}`).expect(200);
}

describe('cookie sessions: reads write nothing, every change is saved', () => {
  it('a read-only request sends no Set-Cookie, the first time and on cache hits', async () => {
    const app = appWith(routes);
    const cookie = await login(app);
    for (let i = 0; i < 3; i++) {
      const res = await get(app, '/me', cookie);
      expect(res.body).toEqual({ user: { name: 'alice', roles: ['reader'] }, visits: 1 });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('a nested change after a read is saved, and the next request sees it', async () => {
    const app = appWith(routes);
    const cookie = await login(app);
    await get(app, '/me', cookie);
    const promoted = sessionCookie((await get(app, '/promote', cookie)).headers).value;
    expect((await get(app, '/me', promoted)).body.user.roles).toEqual(['reader', 'admin']);
    const renamed = sessionCookie((await get(app, '/rename', promoted)).headers).value;
    expect((await get(app, '/me', renamed)).body.user).toEqual({ name: 'alicia', roles: ['reader', 'admin'] });
  });

  it('a deleted field is saved', async () => {
    const app = appWith(routes);
    const cookie = await login(app);
    const fresh = sessionCookie((await get(app, '/forget-visits', cookie)).headers).value;
    expect((await get(app, '/me', fresh)).body.visits).toBeNull();
  });

  it('the old cookie keeps its data after another request changed it (the cached data is never shared)', async () => {
    const app = appWith(routes);
    const cookie = await login(app);
    await get(app, '/promote', cookie);
    await get(app, '/rename', cookie);
    const res = await get(app, '/me', cookie);
    expect(res.body.user).toEqual({ name: 'alice', roles: ['reader'] });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('concurrent requests on one cookie never see each other’s unsaved changes', async () => {
    const app = appWith({
      ...routes,
      '/slow-promote': async (ctx) => {
        (ctx.session!.user as { roles: string[] }).roles.push('admin');
        await sleep(150);
      },
    });
    const cookie = await login(app);
    const slow = get(app, '/slow-promote', cookie);
    await sleep(50);
    const read = await get(app, '/me', cookie);
    expect(read.body.user.roles).toEqual(['reader']);
    expect(read.headers['set-cookie']).toBeUndefined();
    expect(sessionCookie((await slow).headers).value).not.toBe(cookie);
  });

  it('writing back equal data sends nothing; so does a field set to undefined (same JSON)', async () => {
    const app = appWith(routes);
    const cookie = await login(app);
    expect((await get(app, '/same-again', cookie)).headers['set-cookie']).toBeUndefined();
    expect((await get(app, '/undefined-field', cookie)).headers['set-cookie']).toBeUndefined();
    expect((await get(app, '/replace-same', cookie)).headers['set-cookie']).toBeUndefined();
  });

  it('a value that only JSON can compare (a Date) is saved as its JSON', async () => {
    const app = appWith({ ...routes, '/when': (ctx) => ({ when: ctx.session!.when }) });
    const cookie = await login(app);
    const fresh = sessionCookie((await get(app, '/date', cookie)).headers).value;
    expect((await get(app, '/when', fresh)).body.when).toBe('1970-01-01T00:00:00.000Z');
    // the same date again: same JSON, nothing written
    expect((await get(app, '/date', fresh)).headers['set-cookie']).toBeUndefined();
  });

  it('replacing the session without reading it saves it (koa-session: no previous hash)', async () => {
    const app = appWith(routes);
    const cookie = await login(app);
    expect(sessionCookie((await get(app, '/replace-unread', cookie)).headers).value).not.toBe('');
  });

  it('save() writes an unchanged session; setting maxAge writes it with that lifetime', async () => {
    const app = appWith(routes);
    const cookie = await login(app);
    expect(sessionCookie((await get(app, '/save', cookie)).headers).value).not.toBe('');
    const res = await get(app, '/max-age', cookie);
    const expires = Date.parse(String(sessionCookie(res.headers).attrs.expires));
    expect(expires - Date.now()).toBeLessThanOrEqual(5000 + 1000);
    expect(expires - Date.now()).toBeGreaterThan(2000);
    // the payload carries the new maxAge: ctx.sessionOptions shows it on the next request
    const short = sessionCookie(res.headers).value;
    const options = await get(app, '/options', short);
    expect(options.body.maxAge).toBe(5000);
    expect(options.headers['set-cookie']).toBeUndefined();
    expect((await get(app, '/options', cookie)).body.maxAge).toBe(86_400_000);
  });

  it('a "__proto__" key inside the data stays an own property, never a prototype', async () => {
    const app = appWith({
      '/set': (ctx) => {
        ctx.session!.obj = JSON.parse('{"__proto__": {"admin": true}, "a": 1}');
      },
      '/get': (ctx) => {
        const obj = ctx.session!.obj as Record<string, unknown>;
        return { own: Object.hasOwn(obj, '__proto__'), admin: obj.admin ?? null, a: obj.a };
      },
    });
    const res = await request(app.callback()).get('/set').expect(200);
    const cookie = sessionCookie(res.headers).value;
    for (let i = 0; i < 2; i++) {
      const got = await get(app, '/get', cookie);
      expect(got.body).toEqual({ own: true, admin: null, a: 1 });
      expect(got.headers['set-cookie']).toBeUndefined();
    }
  });

  it('finds the cookie as Cookies does: quoted, after other cookies, not inside another name', async () => {
    const app = appWith(routes);
    const cookie = await login(app);
    for (const header of [
      `koa.sess="${cookie}"`,
      `a=1;  koa.sess=${cookie}; b=2`,
      `xkoa.sess=junk; koa.sess=${cookie}`,
      `koa.sess=${cookie}; koa.sess=junk`,
    ]) {
      const res = await request(app.callback()).get('/me').set('Cookie', header).expect(200);
      expect(res.body.user).toEqual({ name: 'alice', roles: ['reader'] });
    }
    const res = await request(app.callback()).get('/me').set('Cookie', `koa.sess=junk; koa.sess=${cookie}`).expect(200);
    expect(res.body.user).toBeNull();
  });

  it('reads the Cookie header from raw header lines as Node joins them: any case, several lines', async () => {
    const app = appWith(routes);
    const cookie = await login(app);
    const server = await listen(app);
    try {
      for (const lines of [
        [`cOOkie: koa.sess=${cookie}`],
        ['Cookie: a=1', `COOKIE: koa.sess=${cookie}`],
        ['Cookie: a=1', 'X-Other: 2', `Cookie: b=2; koa.sess=${cookie}`],
      ]) {
        const text = await rawHttp(server.port, ['GET /me HTTP/1.1', 'Host: x', 'Connection: close', ...lines]);
        expect(text).toMatch(/^HTTP\/1\.1 200/);
        expect(text).toContain('"user":{"name":"alice","roles":["reader"]}');
      }
      // Node joins several Cookie lines with "; ": the first koa.sess wins, as Cookies finds it.
      const text = await rawHttp(server.port, [
        'GET /me HTTP/1.1',
        'Host: x',
        'Connection: close',
        'Cookie: koa.sess=junk',
        `Cookie: koa.sess=${cookie}`,
      ]);
      expect(text).toContain('"user":null');
    } finally {
      await server.close();
    }
  });

  it('without the cache (cacheSize: 0) reads still write nothing and changes are saved', async () => {
    const app = appWith(routes, { cacheSize: 0 });
    const cookie = await login(app);
    expect((await get(app, '/me', cookie)).headers['set-cookie']).toBeUndefined();
    const fresh = sessionCookie((await get(app, '/promote', cookie)).headers).value;
    expect((await get(app, '/me', fresh)).body.user.roles).toEqual(['reader', 'admin']);
  });

  it('emits session:missed for a cookie that does not verify and session:expired for an old one', async () => {
    const app = appWith(routes, { maxAge: 1000 });
    const events: string[] = [];
    app.on('session:missed', () => events.push('missed'));
    app.on('session:expired', (e: { value: { user: unknown } }) =>
      events.push(`expired ${JSON.stringify(e.value.user)}`),
    );
    const cookie = await login(app);
    await get(app, '/me', `${cookie}x`);
    await sleep(1100);
    await get(app, '/me', cookie);
    await sleep(10);
    expect(events).toEqual(['missed', 'expired {"name":"alice","roles":["reader"]}']);
  });

  it('a session never read is never committed, even when the handler throws', async () => {
    const app = appWith({
      '/boom': () => {
        throw Object.assign(new Error('boom'), { status: 418, expose: true });
      },
    });
    const errors = pending[pending.length - 1]!;
    const res = await request(app.callback()).get('/boom').expect(418);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(errors.take()).toHaveLength(1);
  });
});
