import { randomUUID } from 'node:crypto';
import { redisStore, session } from '@koa-kit/session';
import { redisForTests, startRedisServer } from '@koa-kit/testing';
// node-redis v5's client (what `redis` re-exports); installed here as a dependency of @tus/server
import { createClient } from '@redis/client';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, sessionCookie } from './helpers.js';

const url = await redisForTests();
const PREFIX = `koa-kit:test:session-node:${process.pid}:${randomUUID().slice(0, 8)}:`;

let pending: Array<{ assertNone(): void }> = [];
afterEach(() => {
  const list = pending;
  pending = [];
  for (const errors of list) errors.assertNone();
});

const idOf = (cookieValue: string) => cookieValue.slice(0, cookieValue.lastIndexOf('.'));

describe.skipIf(url === null)('Redis store sessions with a node-redis client', () => {
  const client = createClient({ url: url! });
  client.on('error', () => {});

  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    const keys = await client.keys(`${PREFIX}*`);
    if (keys.length) await client.del(keys);
    client.destroy();
  });

  it('stores, reads, regenerates and deletes sessions, with a PX expiry', async () => {
    const made = makeApp(session({ store: redisStore({ client, prefix: PREFIX }), maxAge: 60_000 }));
    pending.push(made.errors);
    const planted = sessionCookie((await request(made.app.callback()).get('/count').expect(200)).headers).value;
    const login = await request(made.app.callback()).get('/login?user=erin').set('Cookie', `koa.sess=${planted}`);
    expect(login.status).toBe(200);
    const cookie = sessionCookie(login.headers).value;
    expect(await client.exists(PREFIX + idOf(planted))).toBe(0);
    expect(JSON.parse((await client.hGet(PREFIX + idOf(cookie), 'd'))!)).toMatchObject({ user: 'erin', count: 1 });
    const pttl = await client.pTTL(PREFIX + idOf(cookie));
    expect(pttl).toBeGreaterThan(60_000);
    expect(pttl).toBeLessThanOrEqual(70_000);
    const me = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(me.body.user).toBe('erin');
    await request(made.app.callback()).get('/logout').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(await client.exists(PREFIX + idOf(cookie))).toBe(0);
  });

  it('Redis stopped: 503 at once instead of queueing while node-redis reconnects; restarted: works again', async ({
    skip,
  }) => {
    const server = await startRedisServer();
    if (server === null) return skip('redis-server is not installed');
    const own = createClient({ url: server.url });
    own.on('error', () => {});
    await own.connect();
    try {
      const made = makeApp(session({ store: redisStore({ client: own, prefix: PREFIX }), storeTimeout: 1500 }));
      const cookie = sessionCookie((await request(made.app.callback()).get('/login').expect(200)).headers).value;
      await server.stop();
      const started = Date.now();
      await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(503);
      expect(Date.now() - started).toBeLessThan(500);
      expect(made.errors.take()).toMatchObject([{ code: 'SESSION_STORE_UNAVAILABLE' }]);

      await server.start();
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = (await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
      made.errors.take();
    } finally {
      own.destroy();
      await server.stop();
    }
  });
});

describe.skipIf(url === null)('log out everywhere (userField + destroyUser), with ioredis and node-redis', () => {
  const nodeClient = createClient({ url: url! });
  nodeClient.on('error', () => {});
  const ioClient = new Redis(url!);
  ioClient.on('error', () => {});

  beforeAll(async () => {
    await nodeClient.connect();
  });
  afterAll(async () => {
    const keys = await nodeClient.keys(`${PREFIX}*`);
    if (keys.length) await nodeClient.del(keys);
    nodeClient.destroy();
    ioClient.disconnect();
  });

  for (const [name, client] of [
    ['node-redis', () => nodeClient],
    ['ioredis', () => ioClient],
  ] as const) {
    it(`${name}: destroyUser(id) ends every session of that user, and only those`, async () => {
      const prefix = `${PREFIX}${name}:`;
      const store = redisStore({ client: client(), prefix, userField: 'user' });
      const made = makeApp(session({ store, maxAge: 60_000 }));
      pending.push(made.errors);
      const login = async (user: string) =>
        sessionCookie((await request(made.app.callback()).get(`/login?user=${user}`).expect(200)).headers).value;
      const laptop = await login('alice');
      const phone = await login('alice');
      const bob = await login('bob');
      const index = `${prefix}by-user:alice`;
      expect(await nodeClient.sCard(index)).toBe(2);
      const pttl = await nodeClient.pTTL(index);
      expect(pttl).toBeGreaterThan(60_000);
      expect(pttl).toBeLessThanOrEqual(70_000);

      expect(await store.destroyUser('alice')).toBe(2);
      expect(await nodeClient.exists(index)).toBe(0);
      for (const cookie of [laptop, phone]) {
        const me = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
        expect(me.body).toMatchObject({ user: null, isNew: true });
      }
      const stillBob = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${bob}`).expect(200);
      expect(stillBob.body.user).toBe('bob');
      expect(await store.destroyUser('nobody')).toBe(0);
    });
  }

  it('refuses a bad userField, and destroyUser() without one', async () => {
    expect(() => redisStore({ client: nodeClient, userField: '' })).toThrow(/"userField"/);
    await expect(redisStore({ client: nodeClient }).destroyUser('alice')).rejects.toThrow(/userField/);
  });
});
