import { redisStore, type SessionStore, session } from '@koa-kit/session';
import { collectAppErrors, listen, type RedisClusterForTests, startRedisCluster } from '@koa-kit/testing';
import { createCluster } from '@redis/client';
import { Cluster } from 'ioredis';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from './helpers.js';

// One cluster (3 masters, 3 replicas) for the whole file.
let cluster: RedisClusterForTests | null = null;
let io: Cluster;
let node: ReturnType<typeof createCluster>;

beforeAll(async () => {
  cluster = await startRedisCluster();
  if (cluster === null) return;
  io = new Cluster(cluster.nodes);
  io.on('error', () => {});
  node = createCluster({ rootNodes: cluster.nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })) });
  node.on('error', () => {});
  await node.connect();
}, 45_000);

afterAll(async () => {
  io?.disconnect();
  node?.destroy();
  await cluster?.stop();
});

async function serve(store: SessionStore) {
  const app = new Koa();
  app.keys = KEYS;
  const errors = collectAppErrors(app);
  app.use(session({ store, maxAge: 60_000, rolling: true }));
  app.use((ctx) => {
    if (ctx.path === '/login') ctx.session.user = String(ctx.query.user);
    if (ctx.path === '/logout') ctx.session = null;
    ctx.body = String(ctx.session.user ?? 'nobody');
  });
  const server = await listen(app);
  const get = async (path: string, cookie?: string) => {
    const res = await fetch(server.url + path, { headers: cookie ? { cookie } : {} });
    return { text: await res.text(), status: res.status, cookie: res.headers.getSetCookie()[0]?.split(';')[0] };
  };
  return { get, errors, close: () => server.close() };
}

describe('redisStore on a Redis Cluster', () => {
  for (const name of ['ioredis Cluster', 'node-redis createCluster'] as const) {
    it(`${name}: sessions, touch, conflicts and log out everywhere, across slots and a failover`, async ({ skip }) => {
      if (cluster === null) return skip('redis-server is not installed');
      const client = name === 'ioredis Cluster' ? io : node;
      const prefix = `koa-kit:test:cluster:${name.split(' ')[0]}:`;
      const store = redisStore({ client, prefix, userField: 'user', conflicts: 'refuse' });
      const { get, errors, close } = await serve(store);
      try {
        // enough sessions that their keys land on all three masters
        const cookies: string[] = [];
        for (let i = 0; i < 9; i++) cookies.push((await get(`/login?user=${i % 3 === 0 ? 'alice' : `u${i}`}`)).cookie!);
        const ids = cookies.map((c) => c.slice('koa.sess='.length, c.lastIndexOf('.')));
        const owners = new Set(await Promise.all(ids.map(async (id) => (await cluster!.masterOf(prefix + id)).port)));
        expect(owners.size).toBeGreaterThan(1);
        for (const [i, cookie] of cookies.entries()) {
          const me = await get('/me', cookie);
          expect(me.text).toBe(i % 3 === 0 ? 'alice' : `u${i}`);
          // rolling: the Lua touch ran on the key's node
          expect(me.cookie).toBe(cookie);
        }

        // a coordinated failover of one session's master (once per file: the ioredis test's; the
        // node-redis client, connected before it, then meets the changed topology): the session is still there
        if (name === 'ioredis Cluster') await cluster!.failover(prefix + ids[1]!);
        expect((await get('/me', cookies[1]!)).text).toBe('u1');
        expect((await get('/logout', cookies[1]!)).cookie).toBe('koa.sess=');
        // the compare-and-set script on the key's node: a destroyed session is not written back,
        // a stale revision is refused
        expect(await store.set(ids[1]!, { user: 'u1', _rev: 1 }, 60_000)).toBe(false);
        expect(await store.set(ids[2]!, { user: 'u2', _rev: 12_345 }, 60_000)).toBe(false);

        // log out everywhere: alice's three sessions, wherever their slots are
        expect(await store.destroyUser('alice')).toBe(3);
        for (const i of [0, 3, 6]) expect((await get('/me', cookies[i]!)).text).toBe('nobody');
        expect((await get('/me', cookies[2]!)).text).toBe('u2');
        errors.assertNone();
      } finally {
        await close();
      }
    }, 30_000);
  }
});
