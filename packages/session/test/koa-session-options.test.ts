import { memoryStore, type SessionStore, type StoreContext, session } from '@koa-kit/session';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, makeApp, sessionCookie } from './helpers.js';

let pending: Array<{ assertNone(): void }> = [];
afterEach(() => {
  const list = pending;
  pending = [];
  for (const errors of list) errors.assertNone();
});

const nextTick = () => new Promise((r) => setImmediate(r));
const KINDS = [
  ['cookie sessions', () => undefined],
  ['store sessions', () => memoryStore()],
] as const;

describe("koa-session's options and events, in both kinds of session", () => {
  for (const [kind, store] of KINDS) {
    it(`${kind}: autoCommit: false writes nothing until ctx.session.manuallyCommit()`, async () => {
      const app = new Koa();
      app.keys = KEYS;
      app.use(session({ store: store(), autoCommit: false }));
      app.use(async (ctx) => {
        ctx.session!.user = 'alice';
        if (ctx.path === '/commit') await ctx.session!.manuallyCommit();
        ctx.body = 'ok';
      });
      const silent = await request(app.callback()).get('/').expect(200);
      expect(silent.headers['set-cookie']).toBeUndefined();
      const committed = await request(app.callback()).get('/commit').expect(200);
      expect(sessionCookie(committed.headers).value).not.toBe('');
    });

    it(`${kind}: valid() returning false gives a fresh session and emits session:invalid`, async () => {
      const made = makeApp(session({ store: store(), valid: (_ctx, data) => data.user !== 'mallory' }));
      pending.push(made.errors);
      const invalid: unknown[] = [];
      made.app.on('session:invalid', (event: { value: unknown }) => invalid.push(event.value));
      const ok = sessionCookie((await request(made.app.callback()).get('/login?user=alice').expect(200)).headers);
      const bad = sessionCookie((await request(made.app.callback()).get('/login?user=mallory').expect(200)).headers);
      const okMe = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${ok.value}`).expect(200);
      expect(okMe.body.user).toBe('alice');
      const badMe = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${bad.value}`).expect(200);
      expect(badMe.body).toMatchObject({ user: null, isNew: true });
      await nextTick();
      expect(invalid).toEqual([expect.objectContaining({ user: 'mallory' })]);
    });

    it(`${kind}: beforeSave(ctx, session) runs before each save, and its changes are saved`, async () => {
      const app = new Koa();
      app.keys = KEYS;
      let calls = 0;
      app.use(
        session({
          store: store(),
          beforeSave: (ctx, s) => {
            calls++;
            s.savedOn = ctx.path;
          },
        }),
      );
      app.use((ctx) => {
        ctx.body = { savedOn: ctx.session!.savedOn ?? null };
        if (ctx.path === '/write') ctx.session!.n = Number(ctx.session!.n ?? 0) + 1;
      });
      const first = sessionCookie((await request(app.callback()).get('/write').expect(200)).headers);
      expect(calls).toBe(1);
      const read = await request(app.callback()).get('/read').set('Cookie', `koa.sess=${first.value}`).expect(200);
      expect(read.body).toEqual({ savedOn: '/write' });
      // nothing changed: no save, so no call
      expect(read.headers['set-cookie']).toBeUndefined();
      expect(calls).toBe(1);
    });
  }

  it('store sessions: genid and prefix make the ids', async () => {
    const ids: string[] = [];
    const inner = memoryStore();
    const store: SessionStore = {
      get: (id) => inner.get(id),
      set: (id, data, maxAge) => {
        ids.push(id);
        return inner.set(id, data, maxAge);
      },
      destroy: (id) => inner.destroy(id),
    };
    let n = 0;
    const withGenid = makeApp(session({ store, genid: (ctx) => `${ctx.path.slice(1)}-${++n}` }));
    pending.push(withGenid.errors);
    await request(withGenid.app.callback()).get('/count').expect(200);
    expect(ids.pop()).toBe('count-1');

    const withPrefix = makeApp(session({ store, prefix: 'web:' }));
    pending.push(withPrefix.errors);
    await request(withPrefix.app.callback()).get('/count').expect(200);
    expect(ids.pop()).toMatch(/^web:[0-9a-f-]{36}$/);
  });

  it('store sessions: the store receives { ctx, rolling, changed } as koa-session passes them', async () => {
    const calls: Array<[string, StoreContext | undefined]> = [];
    const inner = memoryStore();
    const store: SessionStore = {
      get: (id, context) => {
        calls.push(['get', context]);
        return inner.get(id);
      },
      set: (id, data, maxAge, context) => {
        calls.push(['set', context]);
        return inner.set(id, data, maxAge);
      },
      destroy: (id, context) => {
        calls.push(['destroy', context]);
        return inner.destroy(id);
      },
    };
    const made = makeApp(session({ store, rolling: true }));
    pending.push(made.errors);
    const login = sessionCookie((await request(made.app.callback()).get('/count').expect(200)).headers);
    await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${login.value}`).expect(200);
    await request(made.app.callback()).get('/logout').set('Cookie', `koa.sess=${login.value}`).expect(200);
    const summary = calls.map(([name, c]) => [name, c?.ctx?.path, c?.rolling, c?.changed]);
    expect(summary).toEqual([
      ['set', '/count', true, true],
      ['get', '/me', true, undefined],
      ['set', '/me', true, false],
      ['get', '/logout', true, undefined],
      ['destroy', '/logout', undefined, undefined],
    ]);
  });

  it('store sessions: a tampered id cookie emits session:missed and gives a fresh session', async () => {
    const made = makeApp(session({ store: memoryStore() }));
    pending.push(made.errors);
    const missed: unknown[] = [];
    made.app.on('session:missed', (event) => missed.push(event));
    const login = sessionCookie((await request(made.app.callback()).get('/login').expect(200)).headers);
    const tampered = `${login.value.slice(0, -2)}xx`;
    const me = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${tampered}`).expect(200);
    expect(me.body).toMatchObject({ user: null, isNew: true });
    await nextTick();
    expect(missed).toHaveLength(1);
  });
});

describe("store sessions keep koa-session's maxAge behaviours", () => {
  it('an entry past its _expire (the store keeps it 10 s longer) gives a fresh session and emits session:expired', async () => {
    const store = memoryStore();
    const made = makeApp(session({ store, maxAge: 300 }));
    pending.push(made.errors);
    const expired: Array<{ key: unknown; value: { user?: unknown } }> = [];
    made.app.on('session:expired', (event) => expired.push(event));
    const cookie = sessionCookie((await request(made.app.callback()).get('/login').expect(200)).headers).value;
    const id = cookie.slice(0, cookie.lastIndexOf('.'));
    await new Promise((r) => setTimeout(r, 350));
    expect(store.get(id)).toMatchObject({ user: 'alice' });
    const me = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(me.body).toMatchObject({ user: null, isNew: true });
    await nextTick();
    expect(expired).toEqual([expect.objectContaining({ key: id, value: expect.objectContaining({ user: 'alice' }) })]);
  });

  it('setting ctx.session.maxAge saves the session with that lifetime; maxAge: "session" stays a browser-session cookie after regenerate()', async () => {
    const store = memoryStore();
    const app = new Koa();
    app.keys = KEYS;
    app.use(session({ store }));
    app.use(async (ctx) => {
      if (ctx.path === '/remember') ctx.session.maxAge = 5_000;
      if (ctx.path === '/browser') {
        ctx.session.maxAge = 'session';
        await ctx.session.regenerate();
        ctx.session.user = 'bob';
      }
      ctx.body = String(ctx.session.maxAge);
    });
    const remembered = sessionCookie((await request(app.callback()).get('/remember').expect(200)).headers);
    expect(Date.parse(String(remembered.attrs.expires)) - Date.now()).toBeLessThanOrEqual(5_000);
    const id = remembered.value.slice(0, remembered.value.lastIndexOf('.'));
    expect(store.get(id)).toMatchObject({ _maxAge: 5_000 });
    const again = await request(app.callback()).get('/').set('Cookie', `koa.sess=${remembered.value}`).expect(200);
    expect(again.text).toBe('5000');

    const browser = await request(app.callback()).get('/browser').expect(200);
    const cookie = sessionCookie(browser.headers);
    expect(cookie.attrs.expires).toBeUndefined();
    expect(cookie.attrs['max-age']).toBeUndefined();
    expect(store.get(cookie.value.slice(0, cookie.value.lastIndexOf('.')))).toMatchObject({
      user: 'bob',
      _session: true,
    });
  });
});
