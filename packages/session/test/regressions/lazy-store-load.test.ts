import { memoryStore, type SessionRecord, type SessionStore, session } from '@koa-kit/session';
import { collectAppErrors, listen } from '@koa-kit/testing';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS } from '../helpers.js';

// Issue 20: store sessions were loaded on every request carrying the cookie, before downstream,
// whether or not it used ctx.session. Now a store that answers synchronously is read on the
// first use of ctx.session only; an asynchronous one is read when the request reaches session().

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

type Mode = 'ok' | 'throw' | 'hang';

/** A store that counts get() calls and can be told to fail; `async: true` answers with promises. */
function countingStore(async: boolean, base: SessionStore = memoryStore()) {
  const state = { gets: 0, mode: 'ok' as Mode };
  const store: SessionStore = {
    get(id) {
      state.gets++;
      if (state.mode === 'throw') {
        if (async) return Promise.reject(new Error('ECONNREFUSED secret-detail'));
        throw new Error('boom secret-detail');
      }
      if (state.mode === 'hang') return new Promise<SessionRecord>(() => {});
      const data = base.get(id) as SessionRecord | undefined;
      return async ? Promise.resolve(data) : data;
    },
    set: (id, data, maxAge) => base.set(id, data, maxAge),
    destroy: (id) => base.destroy(id),
  };
  return { store, state };
}

async function serve(store: SessionStore, options: { before?: Koa.Middleware } = {}) {
  const app = new Koa();
  app.keys = KEYS;
  const errors = collectAppErrors(app);
  if (options.before) app.use(options.before);
  app.use(session({ store, storeTimeout: 300 }));
  app.use((ctx) => {
    if (ctx.path === '/health') ctx.body = 'up';
    else if (ctx.path === '/login') {
      ctx.session.user = 'alice';
      ctx.body = 'in';
    } else ctx.body = String(ctx.session.user ?? 'nobody');
  });
  const server = await listen(app);
  servers.push(server);
  const get = async (path: string, cookie?: string) => {
    const res = await fetch(server.url + path, { headers: cookie ? { cookie } : {} });
    return { status: res.status, text: await res.text(), setCookie: res.headers.getSetCookie() };
  };
  const login = async () => (await get('/login')).setCookie[0]!.split(';')[0]!;
  return { get, login, errors };
}

describe('store sessions are loaded when ctx.session is used, not before', () => {
  it('memoryStore: a request that never reads ctx.session makes no store call, even while get() throws', async () => {
    const store = memoryStore();
    let gets = 0;
    let failing = false;
    const get = store.get.bind(store);
    store.get = (id, context) => {
      gets++;
      if (failing) throw new Error('boom secret-detail');
      return get(id, context);
    };
    const { get: fetchPath, login, errors } = await serve(store);
    const cookie = await login();
    expect(gets).toBe(0);

    expect((await fetchPath('/health', cookie)).text).toBe('up');
    expect(gets).toBe(0);
    expect((await fetchPath('/me', cookie)).text).toBe('alice');
    expect(gets).toBe(1);

    failing = true;
    const health = await fetchPath('/health', cookie);
    expect(health).toMatchObject({ status: 200, text: 'up', setCookie: [] });
    expect(gets).toBe(1);
    errors.assertNone();
    const me = await fetchPath('/me', cookie);
    expect(me.status).toBe(503);
    expect(me.text).not.toContain('secret');
    expect(gets).toBe(2);
    expect(errors.take()).toMatchObject([{ status: 503, code: 'SESSION_STORE_UNAVAILABLE' }]);
  });

  it("a user's synchronous store is read on first use only, once it has answered synchronously", async () => {
    const { store, state } = countingStore(false);
    const { get, login, errors } = await serve(store);
    const cookie = await login();
    // the first request carrying a cookie asks before downstream: that answer shows get() is synchronous
    await get('/health', cookie);
    const learned = state.gets;
    expect(learned).toBe(1);
    for (let i = 0; i < 3; i++) expect((await get('/health', cookie)).status).toBe(200);
    expect(state.gets).toBe(learned);
    state.mode = 'throw';
    expect(await get('/health', cookie)).toMatchObject({ status: 200, text: 'up' });
    expect(state.gets).toBe(learned);
    expect((await get('/me', cookie)).status).toBe(503);
    expect(state.gets).toBe(learned + 1);
    expect(errors.take()).toMatchObject([{ code: 'SESSION_STORE_UNAVAILABLE' }]);
  });

  it('an asynchronous store that fails or hangs: a request that never reads ctx.session still gets 200', async () => {
    const { store, state } = countingStore(true);
    const { get, login, errors } = await serve(store);
    const cookie = await login();
    for (const mode of ['throw', 'hang'] as const) {
      state.mode = mode;
      const health = await get('/health', cookie);
      expect(health).toMatchObject({ status: 200, text: 'up', setCookie: [] });
      errors.assertNone();
      const me = await get('/me', cookie);
      expect(me.status).toBe(503);
      expect(errors.take()).toMatchObject([{ code: 'SESSION_STORE_UNAVAILABLE', expose: false }]);
    }
  });

  it('an asynchronous store costs no call on requests answered before session() runs', async () => {
    const { store, state } = countingStore(true);
    const before: Koa.Middleware = async (ctx, next) => {
      if (ctx.path === '/health') ctx.body = 'up';
      else if (ctx.path === '/early') ctx.body = String(ctx.session.user);
      else await next();
    };
    const { get, login, errors } = await serve(store, { before });
    const cookie = await login();
    state.gets = 0;
    state.mode = 'hang';
    expect(await get('/health', cookie)).toMatchObject({ status: 200, text: 'up' });
    expect(state.gets).toBe(0);
    // reading it there cannot wait for the store: a clear 500 rather than a silently empty session
    state.mode = 'ok';
    expect((await get('/early', cookie)).status).toBe(500);
    expect(errors.take()).toMatchObject([{ code: 'SESSION_MISCONFIGURED' }]);
    // without a cookie there is nothing to load: a fresh session, no call
    state.gets = 0;
    expect(await get('/early')).toMatchObject({ status: 200, text: 'undefined' });
    expect(state.gets).toBe(0);
  });
});

describe('ctx.session after ctx.session = null', () => {
  for (const [kind, store] of [
    ['cookie sessions', () => undefined],
    ['store sessions', () => memoryStore()],
  ] as const) {
    it(`${kind}: reads as a new, empty Session (as its type says), and the old session is still ended`, async () => {
      const app = new Koa();
      app.keys = KEYS;
      const errors = collectAppErrors(app);
      const s = store();
      app.use(session({ store: s }));
      app.use((ctx) => {
        if (ctx.path === '/login') {
          ctx.session.user = 'alice';
          ctx.body = 'in';
          return;
        }
        ctx.session = null;
        const after = ctx.session;
        ctx.body = { isNew: after.isNew, user: after.user ?? null, populated: after.populated };
        if (ctx.path === '/switch') after.user = 'bob';
      });
      const server = await listen(app);
      servers.push(server);
      const cookieOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]!);
      const login = cookieOf(await fetch(`${server.url}/login`))[0]!;

      const out = await fetch(`${server.url}/logout`, { headers: { cookie: login } });
      expect(await out.json()).toEqual({ isNew: true, user: null, populated: false });
      // the cookie is cleared, nothing new is written
      expect(cookieOf(out)).toEqual(['koa.sess=']);

      // data written into the new session is saved as a new session
      const switched = await fetch(`${server.url}/switch`, { headers: { cookie: login } });
      const [next] = cookieOf(switched);
      expect(next).not.toBe('koa.sess=');
      expect(next).not.toBe(login);
      if (s !== undefined) {
        const id = (value: string) => value.slice('koa.sess='.length, value.lastIndexOf('.'));
        expect(s.get(id(login))).toBeUndefined();
        expect(s.get(id(next!))).toMatchObject({ user: 'bob' });
      }
      errors.assertNone();
    });
  }
});
