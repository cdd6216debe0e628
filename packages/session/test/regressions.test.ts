import { memoryStore, type SessionStore, session } from '@koa-kit/session';
import { collectAppErrors, listen } from '@koa-kit/testing';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { KEYS, sessionCookie, sleep } from './helpers.js';

describe('regressions', () => {
  it('the verified-cookie cache hands out copies: mutating nested data never changes what an old cookie holds', async () => {
    const app = new Koa();
    app.keys = KEYS;
    const errors = collectAppErrors(app);
    app.use(session());
    app.use((ctx) => {
      const s = ctx.session!;
      if (ctx.path === '/login') s.user = { name: 'alice', roles: ['reader'] };
      if (ctx.path === '/promote') (s.user as { roles: string[] }).roles.push('admin');
      ctx.body = s.user ?? null;
    });
    const old = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
    const promoted = await request(app.callback()).get('/promote').set('Cookie', `koa.sess=${old}`).expect(200);
    expect(promoted.body.roles).toEqual(['reader', 'admin']);
    // the mutation produced a new cookie...
    expect(sessionCookie(promoted.headers).value).not.toBe(old);
    // ...and the old cookie still holds exactly what it held
    const replay = await request(app.callback()).get('/').set('Cookie', `koa.sess=${old}`).expect(200);
    expect(replay.body).toEqual({ name: 'alice', roles: ['reader'] });
    errors.assertNone();
  });

  it('a client that aborts while the store is slow does not crash the server or leak the timer', async () => {
    let calls = 0;
    const slow: SessionStore = {
      get: () => {
        calls++;
        return new Promise(() => {});
      },
      set: () => {},
      destroy: () => {},
    };
    const app = new Koa();
    app.keys = KEYS;
    const errors = collectAppErrors(app);
    const inner = memoryStore();
    let useSlow = false;
    const store: SessionStore = {
      get: (id) => (useSlow ? slow.get(id) : inner.get(id)),
      set: (id, data, maxAge) => inner.set(id, data, maxAge),
      destroy: (id) => inner.destroy(id),
    };
    app.use(session({ store, storeTimeout: 200 }));
    app.use((ctx) => {
      ctx.session!.seen = true;
      ctx.body = 'ok';
    });
    const server = await listen(app);
    try {
      const login = await fetch(`${server.url}/`);
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      useSlow = true;
      const controller = new AbortController();
      const pending = fetch(`${server.url}/`, { headers: { cookie }, signal: controller.signal });
      await sleep(50);
      controller.abort();
      await expect(pending).rejects.toThrow();
      await sleep(300);
      expect(calls).toBe(1);
      // the timeout fired after the client left: reported to the app as a 503, nothing else
      expect(errors.take().every((e) => (e as { code?: string }).code === 'SESSION_STORE_UNAVAILABLE')).toBe(true);
      useSlow = false;
      const res = await fetch(`${server.url}/`, { headers: { cookie } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
    } finally {
      await server.close();
    }
  });
});
