import { randomUUID } from 'node:crypto';
import { type MemoryStoreOptions, memoryStore, redisStore, type SessionStore, session } from '@koa-kit/session';
import { collectAppErrors, listen, redisForTests } from '@koa-kit/testing';
import { createClient } from '@redis/client';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, sleep } from './helpers.js';

const url = await redisForTests();
const PREFIX = `koa-kit:test:session-touch:${process.pid}:${randomUUID().slice(0, 8)}:`;

const ioClient = url === null ? undefined : new Redis(url);
ioClient?.on('error', () => {});
const nodeClient = url === null ? undefined : createClient({ url });
nodeClient?.on('error', () => {});

beforeAll(async () => {
  await nodeClient?.connect();
});
afterAll(async () => {
  if (ioClient) {
    const keys = await ioClient.keys(`${PREFIX}*`);
    if (keys.length) await ioClient.del(...keys);
    ioClient.disconnect();
  }
  nodeClient?.destroy();
});

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

type Conflicts = MemoryStoreOptions['conflicts'];
/** The stores under test, each made with the given conflict mode; `raw` reads a session's Redis hash. */
const STORES: Array<{
  name: string;
  redis: boolean;
  make(conflicts?: Conflicts): SessionStore;
}> = [
  { name: 'memoryStore', redis: false, make: (conflicts) => memoryStore({ conflicts }) },
  {
    name: 'redisStore (ioredis)',
    redis: true,
    make: (conflicts) => redisStore({ client: ioClient!, prefix: `${PREFIX}io:`, conflicts }),
  },
  {
    name: 'redisStore (node-redis)',
    redis: true,
    make: (conflicts) => redisStore({ client: nodeClient!, prefix: `${PREFIX}node:`, conflicts }),
  },
];

/** Counts set() and touch() calls by wrapping the store's own methods (the store stays the same object). */
function counted(store: SessionStore) {
  const calls = { set: 0, touch: 0, changed: [] as Array<boolean | undefined> };
  const set = store.set.bind(store);
  store.set = (id, data, maxAge, context) => {
    calls.set++;
    calls.changed.push(context?.changed);
    return set(id, data, maxAge, context);
  };
  const touch = store.touch?.bind(store);
  if (touch)
    store.touch = (id, data, maxAge, context) => {
      calls.touch++;
      return touch(id, data, maxAge, context);
    };
  return calls;
}

async function serve(options: Parameters<typeof session>[0], handler: Koa.Middleware) {
  const app = new Koa();
  app.keys = KEYS;
  const errors = collectAppErrors(app);
  app.use(session(options));
  app.use(handler);
  const server = await listen(app);
  servers.push(server);
  const get = async (path: string, cookie?: string) => {
    const res = await fetch(server.url + path, { headers: cookie ? { cookie } : {} });
    const setCookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
    return { status: res.status, text: await res.text(), setCookie };
  };
  return { get, errors };
}

const idOf = (cookie: string) => cookie.slice('koa.sess='.length, cookie.lastIndexOf('.'));

const readOrLogin: Koa.Middleware = (ctx) => {
  if (ctx.path === '/login') ctx.session.user = 'alice';
  ctx.body = String(ctx.session.user ?? 'nobody');
};

for (const kind of STORES) {
  describe.skipIf(kind.redis && url === null)(`${kind.name}: touch()`, () => {
    it('rolling on an unchanged session touches the entry: its lifetime is refreshed, its data not rewritten', async () => {
      const store = kind.make();
      const calls = counted(store);
      const { get } = await serve({ store, rolling: true, maxAge: 60_000 }, readOrLogin);
      const cookie = (await get('/login')).setCookie[0]!;
      expect(calls).toMatchObject({ set: 1, touch: 0 });
      const key = `${PREFIX}${kind.name.includes('node') ? 'node' : 'io'}:${idOf(cookie)}`;
      if (kind.redis) {
        // changed behind the session's back, and nearly expired: a touch keeps the change, a rewrite would not
        await ioClient!.hset(key, 'd', JSON.stringify({ user: 'changed-in-redis', _maxAge: 60_000 }));
        await ioClient!.pexpire(key, 5_000);
      }
      const before = Date.now();
      const me = await get('/me', cookie);
      expect(me.status).toBe(200);
      expect(me.setCookie).toEqual([cookie]);
      expect(calls).toMatchObject({ set: 1, touch: 1 });
      if (kind.redis) {
        expect(await ioClient!.hget(key, 'd')).toBe(JSON.stringify({ user: 'changed-in-redis', _maxAge: 60_000 }));
        expect(await ioClient!.pttl(key)).toBeGreaterThan(60_000);
        expect(Number(await ioClient!.hget(key, 'e'))).toBeGreaterThanOrEqual(before + 60_000);
      } else {
        expect(store.get(idOf(cookie))).toMatchObject({ user: 'alice', _expire: expect.any(Number) });
      }
    });

    it('a touched session outlives the maxAge it was written with (touch moves the expiry the load checks)', async () => {
      const store = kind.make();
      const calls = counted(store);
      const { get } = await serve({ store, rolling: true, maxAge: 1_500 }, readOrLogin);
      const cookie = (await get('/login')).setCookie[0]!;
      const started = Date.now();
      while (Date.now() - started < 3_200) {
        await sleep(300);
        expect((await get('/me', cookie)).text).toBe('alice');
      }
      expect(calls.set).toBe(1);
      expect(calls.touch).toBeGreaterThanOrEqual(4);
    });

    it('renew touches once less than half of maxAge is left', async () => {
      const store = kind.make();
      const calls = counted(store);
      const { get } = await serve({ store, maxAge: 2_000 }, readOrLogin);
      const cookie = (await get('/login')).setCookie[0]!;
      const early = await get('/me', cookie);
      expect(early.setCookie).toEqual([]);
      expect(calls).toMatchObject({ set: 1, touch: 0 });
      await sleep(1_200);
      const late = await get('/me', cookie);
      expect(late).toMatchObject({ text: 'alice', setCookie: [cookie] });
      expect(calls).toMatchObject({ set: 1, touch: 1 });
    });
  });
}

it('a store without touch() is written with changed: false instead', async () => {
  const inner = memoryStore();
  const store: SessionStore = {
    get: (id) => inner.get(id),
    set: (id, data, maxAge) => inner.set(id, data, maxAge),
    destroy: (id) => inner.destroy(id),
  };
  const calls = counted(store);
  const { get } = await serve({ store, rolling: true }, readOrLogin);
  const cookie = (await get('/login')).setCookie[0]!;
  expect((await get('/me', cookie)).text).toBe('alice');
  expect(calls.changed).toEqual([true, false]);
});

/** GET /add?item=x adds to the cart; the first `parallel` requests wait until all of them have read it. */
function cartApp(parallel: number) {
  let reads = 0;
  let release!: () => void;
  const allRead = new Promise<void>((r) => {
    release = r;
  });
  const handler: Koa.Middleware = async (ctx) => {
    if (ctx.path === '/login') {
      ctx.session.cart = [];
      ctx.body = 'in';
      return;
    }
    const cart = (ctx.session.cart as string[] | undefined) ?? [];
    if (ctx.path === '/cart') {
      ctx.body = cart.join(',');
      return;
    }
    if (ctx.query.wait === '1') {
      if (++reads === parallel) release();
      await allRead;
    }
    ctx.session.cart = [...cart, String(ctx.query.item)];
    ctx.body = 'added';
  };
  return handler;
}

for (const kind of STORES) {
  describe.skipIf(kind.redis && url === null)(`${kind.name}: concurrent writes over HTTP`, () => {
    it('default (overwrite): the last write wins, as documented: 5 parallel adds leave 1 item', async () => {
      const { get } = await serve({ store: kind.make() }, cartApp(5));
      const cookie = (await get('/login')).setCookie[0]!;
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => get(`/add?item=i${n}&wait=1`, cookie)));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect((await get('/cart', cookie)).text.split(',')).toHaveLength(1);
    });

    it("conflicts: 'refuse': 4 of 5 parallel adds get 409 SESSION_CONFLICT; retried, all 5 items are kept", async () => {
      const { get, errors } = await serve({ store: kind.make('refuse') }, cartApp(5));
      const cookie = (await get('/login')).setCookie[0]!;
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => get(`/add?item=i${n}&wait=1`, cookie)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409, 409, 409]);
      expect(errors.take()).toMatchObject(Array(4).fill({ status: 409, expose: true, code: 'SESSION_CONFLICT' }));
      const won = results.findIndex((r) => r.status === 200) + 1;
      expect((await get('/cart', cookie)).text).toBe(`i${won}`);
      // a client retrying on 409 loses nothing
      for (const [i, r] of results.entries()) {
        if (r.status === 409) expect((await get(`/add?item=i${i + 1}`, cookie)).status).toBe(200);
      }
      expect((await get('/cart', cookie)).text.split(',').sort()).toEqual(['i1', 'i2', 'i3', 'i4', 'i5']);
    });

    for (const conflicts of [undefined, 'refuse'] as const) {
      it(`${conflicts ?? 'default'}: a slow request that read the session before a logout does not bring it back`, async () => {
        const store = kind.make(conflicts);
        let hasRead!: () => void;
        const read = new Promise<void>((r) => {
          hasRead = r;
        });
        let finish!: () => void;
        const gate = new Promise<void>((r) => {
          finish = r;
        });
        const { get, errors } = await serve({ store }, async (ctx) => {
          if (ctx.path === '/login') ctx.session.user = 'alice';
          else if (ctx.path === '/logout') ctx.session = null;
          else if (ctx.path === '/slow') {
            const user = ctx.session.user;
            hasRead();
            await gate;
            ctx.session.lastSeen = `${String(user)}@late`;
          }
          ctx.body = String(ctx.session.user ?? 'nobody');
        });
        const cookie = (await get('/login')).setCookie[0]!;
        const slow = get('/slow', cookie);
        await read;
        const out = await get('/logout', cookie);
        expect(out.setCookie).toEqual(['koa.sess=']);
        finish();
        const late = await slow;
        expect(late.status).toBe(409);
        expect(late.setCookie).toEqual([]);
        expect(errors.take()).toMatchObject([{ code: 'SESSION_CONFLICT' }]);
        expect(await store.get(idOf(cookie))).toBeUndefined();
        expect((await get('/me', cookie)).text).toBe('nobody');
      });
    }
  });
}

it('conflicts: a bad value is refused by the factory', () => {
  expect(() => memoryStore({ conflicts: 'merge' as never })).toThrow(
    'memoryStore(): "conflicts" option must be "overwrite" or "refuse"',
  );
  if (ioClient)
    expect(() => redisStore({ client: ioClient, conflicts: 'x' as never })).toThrow(/"conflicts" option must be/);
});
