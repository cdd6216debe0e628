// The Redis driver against a real Redis Cluster (3 masters, 3 replicas, started here from
// redis-server): every script the limiter sends, both algorithms, two app instances on one cluster.
import { randomUUID } from 'node:crypto';
import { rateLimit } from '@koa-kit/rate-limit';
import {
  type AppErrors,
  collectAppErrors,
  type Listening,
  listen,
  type RedisClusterForTests,
  startRedisCluster,
} from '@koa-kit/testing';
import { Cluster, Redis } from 'ioredis';
import type Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashSlot } from '../src/redis-store.js';
import { assertOnlyRefusals, count, makeApp, rawBurst } from './helpers.js';

const cluster: RedisClusterForTests | null = await startRedisCluster();
const prefix = `kk-rl-cluster-${randomUUID().slice(0, 8)}`;
let seq = 0;
const namespace = () => `${prefix}-${++seq}`;

let clients: Cluster[] = [];
let servers: Listening[] = [];
let errors: AppErrors[] = [];

function client(): Cluster {
  const c = new Cluster(cluster!.nodes);
  c.on('error', () => {});
  clients.push(c);
  return c;
}

async function serve(app: Koa): Promise<string> {
  errors.push(collectAppErrors(app));
  const s = await listen(app);
  servers.push(s);
  return s.url;
}

/** A Cluster client that has its slot map. */
async function readyClient(): Promise<Cluster> {
  const c = client();
  if (c.status !== 'ready') await new Promise((r) => c.once('ready', r));
  return c;
}

/**
 * Two instances of one limiter, each with its own Cluster client, as two processes would have.
 * A store timeout far above any wait of a busy test machine, and 'deny': a slow call shows as a
 * 503 (and an app error), never as an uncounted pass.
 */
async function twoInstances(options: Parameters<typeof rateLimit>[0]): Promise<string[]> {
  const bases: string[] = [];
  for (let i = 0; i < 2; i++) {
    const limiter = rateLimit({
      storeTimeout: 10_000,
      onStoreError: 'deny',
      ...options,
      db: await readyClient(),
      id: (ctx) => ctx.get('x-client') || false,
    });
    bases.push(await serve(makeApp(limiter).app));
  }
  return bases;
}

/** `perId` requests for each of `ids`, all at once, alternating between the instances; statuses by id. */
async function flood(bases: string[], ids: string[], perId: number): Promise<Map<string, number[]>> {
  const byId = new Map<string, number[]>(ids.map((id) => [id, []]));
  const all: Promise<void>[] = [];
  let n = 0;
  for (let round = 0; round < perId; round++) {
    for (const id of ids) {
      const base = bases[n++ % bases.length]!;
      all.push(
        fetch(base, { headers: { 'x-client': id } }).then(async (res) => {
          await res.arrayBuffer();
          byId.get(id)!.push(res.status);
        }),
      );
    }
  }
  await Promise.all(all);
  return byId;
}

/** Keys of `ns` on each master now (a Cluster has no cross-node KEYS). */
async function keysPerMaster(ns: string): Promise<number[]> {
  const admin = await readyClient();
  return Promise.all(admin.nodes('master').map(async (node) => (await node.keys(`${ns}:*`)).length));
}

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const e of errors) assertOnlyRefusals(e.take());
  for (const c of clients) c.disconnect();
  servers = [];
  errors = [];
  clients = [];
});

afterAll(async () => {
  await cluster?.stop();
});

describe.skipIf(!cluster)('redis driver on a Redis Cluster', () => {
  beforeAll(async () => {
    await cluster!.waitUntilHealthy();
  });

  for (const algorithm of ['fixed-window', 'sliding-window'] as const) {
    it(`${algorithm}: two instances admit exactly max per client, for clients spread over every master`, async () => {
      const ns = namespace();
      const bases = await twoInstances({ max: 5, duration: '1h', namespace: ns, algorithm });
      const ids = Array.from({ length: 60 }, (_, i) => `client-${i}`);
      const byId = await flood(bases, ids, 8);
      for (const [id, statuses] of byId) {
        expect({ id, ok: count(statuses, 200), limited: count(statuses, 429) }).toEqual({ id, ok: 5, limited: 3 });
      }
      // 60 ids over 16384 slots: every master holds some of them (one key per client).
      const perMaster = await keysPerMaster(ns);
      expect(perMaster).toHaveLength(3);
      expect(perMaster.every((n) => n > 0)).toBe(true);
      expect(perMaster.reduce((a, b) => a + b, 0)).toBe(60);
    });

    it(`${algorithm}: still exact after the script cache is flushed on every master (EVAL fallback, as after a failover)`, async () => {
      const ns = namespace();
      const bases = await twoInstances({ max: 3, duration: '1h', namespace: ns, algorithm });
      const ids = Array.from({ length: 20 }, (_, i) => `flushed-${i}`);
      await flood(bases, ids, 1);
      const admin = await readyClient();
      await Promise.all(admin.nodes('master').map((node) => node.script('FLUSH')));
      const byId = await flood(bases, ids, 4);
      for (const [id, statuses] of byId) {
        expect({ id, ok: count(statuses, 200) }).toEqual({ id, ok: 2 });
      }
    });

    it(`${algorithm}: blockDuration and skipSuccessfulRequests (the block and take-back scripts) work on the cluster`, async () => {
      const blockedNs = namespace();
      const blocked = await twoInstances({
        max: 2,
        duration: '1m',
        blockDuration: '1h',
        namespace: blockedNs,
        algorithm,
      });
      const first = await flood(blocked, ['b1', 'b2', 'b3'], 3);
      for (const statuses of first.values()) expect(count(statuses, 200)).toBe(2);
      // The first refusal stored the block (no waiting for the window to end: a busy machine could
      // make that flaky): the key outlives the 1 minute window, and a refusal says so.
      const admin = await readyClient();
      for (const id of ['b1', 'b2', 'b3']) {
        if (algorithm === 'fixed-window') {
          expect(await admin.pttl(`${blockedNs}:kk:${id}`)).toBeGreaterThan(3_000_000);
        } else {
          expect(Number(await admin.hget(`${blockedNs}:kk-sw:${id}`, 'b'))).toBeGreaterThan(Date.now() + 3_000_000);
        }
        const res = await fetch(blocked[0]!, { headers: { 'x-client': id } });
        await res.arrayBuffer();
        expect(res.status).toBe(429);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(3000);
      }

      const ns = namespace();
      const failuresOnly = await twoInstances({
        max: 2,
        duration: '1h',
        namespace: ns,
        algorithm,
        skipSuccessfulRequests: true,
      });
      const stored = async (): Promise<number> =>
        Number(
          algorithm === 'fixed-window'
            ? await admin.get(`${ns}:kk:ok-client`)
            : await admin.hget(`${ns}:kk-sw:ok-client`, 'c'),
        );
      // Successful requests are taken back after the response: sent one by one, none stays counted.
      for (let i = 0; i < 6; i++) {
        const res = await fetch(failuresOnly[i % 2]!, { headers: { 'x-client': 'ok-client' } });
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-remaining')).toBe('1');
        // the take-back is not awaited by the request: wait until the cluster has it
        const deadline = Date.now() + 5000;
        while ((await stored()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(await stored()).toBe(0);
      }
    });
  }

  it('computes the hash slot of a key as the cluster does (hash tags, UTF-8)', async () => {
    const admin = client();
    const keys = ['limit:kk:127.0.0.1', 'a{b}c', '{}x', 'x{}y{z}', '{{a}}', 'é:kk:ü€😀', 'k{', 'k}{', ''];
    for (let i = 0; i < 100; i++) keys.push(`ns-${i}:kk:${randomUUID()}`, `{user${i}}:${i}`);
    for (const key of keys)
      expect({ key, slot: hashSlot(key) }).toEqual({ key, slot: await admin.cluster('KEYSLOT', key) });
  });

  it('counts the requests of one turn by one script call per slot, exactly', async () => {
    const ns = namespace();
    const { app } = makeApp(
      rateLimit({
        db: await readyClient(),
        max: 15,
        duration: '1h',
        namespace: ns,
        storeTimeout: 10_000,
        onStoreError: 'deny',
      }),
    );
    const base = await serve(app);
    const master = await cluster!.masterOf(`${ns}:kk:127.0.0.1`);
    const monitor = await new Redis(master.port, master.host).monitor();
    const calls: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.startsWith(ns))) calls.push(String(args[0]).toLowerCase());
    });
    try {
      const statuses = await rawBurst(Number(new URL(base).port), 20);
      expect(count(statuses, 200)).toBe(15);
      expect(count(statuses, 429)).toBe(5);
      // 20 requests of one client read in a few turns: a few calls, not one per request.
      expect(calls.filter((c) => c === 'evalsha' || c === 'eval').length).toBeLessThanOrEqual(5);
    } finally {
      monitor.disconnect();
    }
  });

  it('a key of another type fails only its own client (pcall), on the cluster too', async () => {
    const ns = namespace();
    const bases = await twoInstances({ max: 3, duration: '1h', namespace: ns, onStoreError: 'deny' });
    const admin = client();
    await admin.lpush(`${ns}:kk:foreign`, 'x');
    const byId = await flood(bases, ['foreign', 'fine'], 3);
    expect(byId.get('foreign')).toEqual([503, 503, 503]);
    expect(byId.get('fine')).toEqual([200, 200, 200]);
    const reported = errors.flatMap((e) => e.take()) as { code?: string; cause?: { code?: string } }[];
    expect(reported.length).toBeGreaterThan(0);
    expect(reported.every((e) => e.code === 'RATE_LIMIT_STORE_ERROR' || e.code === 'RATE_LIMIT_UNAVAILABLE')).toBe(
      true,
    );
  });
});
