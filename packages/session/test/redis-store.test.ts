import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { type RedisClientLike, redisStore, session } from '@koa-kit/session';
import { redisForTests, startRedisServer } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, sessionCookie, sleep } from './helpers.js';

const url = await redisForTests();
const PREFIX = `koa-kit:test:session:${process.pid}:${randomUUID().slice(0, 8)}:`;

let pending: Array<{ assertNone(): void }> = [];
afterEach(() => {
  const list = pending;
  pending = [];
  for (const errors of list) errors.assertNone();
});

function idOf(cookieValue: string): string {
  return cookieValue.slice(0, cookieValue.lastIndexOf('.'));
}

describe.skipIf(url === null)('Redis store sessions', () => {
  const clients: Redis[] = [];
  const client = (target = url!, options: Record<string, unknown> = {}) => {
    const c = new Redis(target, { lazyConnect: false, ...options });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  let admin: Redis;

  beforeAll(() => {
    admin = client();
  });
  afterAll(async () => {
    const keys = await admin.keys(`${PREFIX}*`);
    if (keys.length) await admin.del(...keys);
    for (const c of clients) c.disconnect();
  });

  function setup(opts: Parameters<typeof session>[0] = {}) {
    const made = makeApp(session({ store: redisStore({ client: client(), prefix: PREFIX }), ...opts }));
    pending.push(made.errors);
    return made;
  }

  it('stores a hash under prefix + id (JSON data, expiry, revision), expiring with the session maxAge', async () => {
    const { app } = setup({ maxAge: 60_000 });
    const before = Date.now();
    const res = await request(app.callback()).get('/login?user=carol').expect(200);
    const id = idOf(sessionCookie(res.headers).value);
    const { d, e, r } = await admin.hgetall(PREFIX + id);
    expect(JSON.parse(d!)).toEqual({ user: 'carol', _maxAge: 60_000 });
    expect(Number(e)).toBeGreaterThanOrEqual(before + 60_000);
    expect(Number(e)).toBeLessThanOrEqual(Date.now() + 60_000);
    // /login writes twice: regenerate() saves, then the commit saves the user
    expect(r).toBe('2');
    const pttl = await admin.pttl(PREFIX + id);
    // koa-session gives the entry 10 s more than the cookie
    expect(pttl).toBeGreaterThan(60_000);
    expect(pttl).toBeLessThanOrEqual(70_000);
  });

  it('two app instances sharing one Redis see the same session', async () => {
    const a = setup();
    const b = setup();
    const cookie = sessionCookie((await request(a.app.callback()).get('/login?user=dave').expect(200)).headers).value;
    const inB = await request(b.app.callback()).get('/count').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(inB.body).toEqual({ count: 1 });
    const inA = await request(a.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(inA.body.user).toBe('dave');
    const count = await request(a.app.callback()).get('/count').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(count.body).toEqual({ count: 2 });
  });

  it('regenerate() gives a new id and deletes the old entry', async () => {
    const { app } = setup();
    const planted = sessionCookie((await request(app.callback()).get('/count').expect(200)).headers).value;
    expect(await admin.exists(PREFIX + idOf(planted))).toBe(1);
    const res = await request(app.callback()).get('/login').set('Cookie', `koa.sess=${planted}`).expect(200);
    const fresh = sessionCookie(res.headers).value;
    expect(idOf(fresh)).not.toBe(idOf(planted));
    expect(await admin.exists(PREFIX + idOf(planted))).toBe(0);
    expect(JSON.parse((await admin.hget(PREFIX + idOf(fresh), 'd'))!)).toMatchObject({ user: 'alice', count: 1 });
  });

  it('logout deletes the entry and clears the cookie', async () => {
    const { app } = setup();
    const cookie = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
    const res = await request(app.callback()).get('/logout').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(sessionCookie(res.headers).value).toBe('');
    expect(await admin.exists(PREFIX + idOf(cookie))).toBe(0);
  });

  it('a session past its maxAge is gone, and Redis drops the entry', async () => {
    const { app } = setup({ maxAge: 500 });
    const cookie = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
    await sleep(600);
    const me = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(me.body).toMatchObject({ user: null, isNew: true });
    expect(await admin.pttl(PREFIX + idOf(cookie))).toBeLessThanOrEqual(10_500);
  });

  it('treats a corrupt stored value as no session', async () => {
    const { app } = setup();
    const cookie = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
    const key = PREFIX + idOf(cookie);
    for (const junk of ['{not json', '[1,2]', 'null', '"text"']) {
      // a string where the hash should be, and a hash holding junk
      await admin.set(key, junk);
      const me = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
      expect(me.body).toMatchObject({ user: null, isNew: true });
      await admin.del(key);
      await admin.hset(key, 'd', junk, 'r', '1');
      const again = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
      expect(again.body).toMatchObject({ user: null, isNew: true });
      await admin.del(key);
    }
  });

  it('answers 503 within storeTimeout when Redis accepts connections but never answers', async () => {
    const sockets: net.Socket[] = [];
    const blackhole = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    const port = (blackhole.address() as net.AddressInfo).port;
    try {
      const made = makeApp(
        session({
          store: redisStore({ client: client(`redis://127.0.0.1:${port}`), prefix: PREFIX }),
          storeTimeout: 300,
        }),
      );
      const started = Date.now();
      await request(made.app.callback()).get('/login').expect(503);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(made.errors.take()).toMatchObject([{ code: 'SESSION_STORE_UNAVAILABLE', expose: false }]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => blackhole.close(r));
    }
  });

  it('Redis stopped mid-test: 503 at once, no crash; restarted: sessions work again without a restart', async ({
    skip,
  }) => {
    const server = await startRedisServer();
    if (server === null) return skip('redis-server is not installed');
    try {
      const c = client(server.url);
      const { app, errors } = makeApp(
        session({ store: redisStore({ client: c, prefix: PREFIX }), storeTimeout: 1000 }),
      );
      const cookie = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
      await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);

      await server.stop();
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const res = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`);
        expect(res.status).toBe(503);
        expect(Date.now() - started).toBeLessThan(1500);
        const fresh = await request(app.callback()).get('/login');
        expect(fresh.status).toBe(503);
      }
      expect(errors.take().every((e) => (e as { code?: string }).code === 'SESSION_STORE_UNAVAILABLE')).toBe(true);

      await server.start();
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await request(app.callback()).get('/login')).status;
        if (status === 200) break;
        await sleep(100);
      }
      expect(status).toBe(200);
      errors.take();
      // the restarted Redis kept nothing, so the old cookie is a fresh visitor; a new login works
      const me = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
      expect(me.body.user).toBeNull();
      const again = sessionCookie((await request(app.callback()).get('/login?user=erin').expect(200)).headers).value;
      const after = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${again}`).expect(200);
      expect(after.body.user).toBe('erin');
      errors.assertNone();
    } finally {
      await server.stop();
    }
  });

  it('accepts an ioredis client as a RedisClientLike and validates its options', () => {
    const typed: RedisClientLike = admin;
    expect(typed).toBe(admin);
    expect(() => redisStore({} as never)).toThrow(/"client"/);
    expect(() => redisStore({ client: {} as never })).toThrow(/"client"/);
    expect(() => redisStore({ client: admin, prefix: 1 as never })).toThrow(/"prefix"/);
    expect(() => redisStore({ client: admin, ttl: 0 })).toThrow(/"ttl"/);
    expect(() => redisStore({ client: admin, bogus: 1 } as never)).toThrow(/unknown option "bogus"/);
  });
});
