// Two app instances (errors + rateLimit + session, both on one Redis Cluster) behind a per-request
// round-robin proxy, under a steady load of session reads and writes. Mid-load: a coordinated
// failover of the master that holds the limiter's key (CLUSTER FAILOVER), then a crash (SIGKILL)
// of the master holding it then. Measures what clients see and checks that nothing needs a restart.
import Router from '@koa/router';
import { errors } from '@koa-kit/errors';
import { rateLimit } from '@koa-kit/rate-limit';
import { redisStore, session } from '@koa-kit/session';
import {
  type Listening,
  listen,
  type RedisClusterForTests,
  type RoundRobinProxy,
  roundRobinProxy,
  startRedisCluster,
} from '@koa-kit/testing';
import { Cluster } from 'ioredis';
import Koa from 'koa';
import { afterAll, describe, expect, it } from 'vitest';
import { type Sample, steadyLoad } from './steady-load.js';

const cluster: RedisClusterForTests | null = await startRedisCluster();

const KEYS = ['scaling-test-key-0123456789abcdef0123456789', 'scaling-test-old-key-0123456789abcdef'];
const USERS = 16;
const PER_USER_RATE = 12.5; // requests per second and user: up to 200 requests/s in all
/** The only answers allowed while Redis switches masters: documented 503s, never a 500 or a 502. */
const DOCUMENTED = new Set(['RATE_LIMIT_UNAVAILABLE', 'SESSION_STORE_UNAVAILABLE']);

const clients: Cluster[] = [];
const servers: (Listening | RoundRobinProxy)[] = [];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Setup {
  namespace: string;
  /** The limiter's storeTimeout (its default is 500 ms). */
  limiterTimeout: number;
  emitted: { status?: number; code?: string }[];
}

/** One instance, as a process of the app would be set up: its own Cluster client for both stores. */
async function instance(name: string, setup: Setup): Promise<Listening> {
  const db = new Cluster(cluster!.nodes);
  db.on('error', () => {}); // the stores report failures themselves
  clients.push(db);
  const app = new Koa();
  app.keys = KEYS; // the same keys on every instance: each verifies the others' cookies
  app.proxy = true; // behind the proxy: ctx.ip from X-Forwarded-For, set by one proxy
  app.maxIpsCount = 1;
  app.on('error', (err: { status?: number; code?: string }) => {
    setup.emitted.push({ status: err.status, code: err.code });
  });
  app.use(errors());
  app.use(
    rateLimit({
      db,
      max: 1_000_000,
      duration: '1h',
      namespace: setup.namespace,
      onStoreError: 'deny',
      storeTimeout: setup.limiterTimeout,
    }),
  );
  app.use(session({ store: redisStore({ client: db, prefix: `${setup.namespace}:sess:` }) }));
  const router = new Router();
  router.get('/login/:user', (ctx) => {
    ctx.session.user = Number(ctx.params.user);
    ctx.session.hits = 0;
    ctx.body = { ok: true };
  });
  router.get('/visit', (ctx) => {
    const hits = Number(ctx.session.hits ?? 0) + 1;
    ctx.session.hits = hits;
    ctx.body = { hits, user: ctx.session.user, instance: name };
  });
  app.use(router.routes());
  const listening = await listen(app);
  servers.push(listening);
  return listening;
}

interface Window {
  name: string;
  start: number;
  /** When the cluster was healthy again (failover() resolved / waitUntilHealthy() after the kill). */
  settled: number;
  end: number;
}

function summarise(samples: Sample[], w: Window) {
  const inside = samples.filter((s) => s.at >= w.start && s.at < w.end);
  const failed = inside.filter((s) => s.status !== 200);
  const byCode: Record<string, number> = {};
  for (const s of failed) byCode[`${s.status} ${s.code}`] = (byCode[`${s.status} ${s.code}`] ?? 0) + 1;
  const last = failed.at(-1);
  const before = samples.filter((s) => s.at < w.start).map((s) => s.ms);
  return {
    event: w.name,
    requests: inside.length,
    failed: failed.length,
    byCode,
    // slowest answer in the window, against the slowest before anything happened
    slowestMs: Math.round(Math.max(0, ...inside.map((s) => s.ms))),
    slowestBeforeMs: Math.round(Math.max(0, ...before)),
    clusterSettledMs: Math.round(w.settled - w.start),
    // from the event to the last failed answer: after it every request succeeded
    untilNormalMs: last ? Math.round(last.at - w.start) : 0,
  };
}

/**
 * Two instances behind the proxy, every user logged in, then the steady load; `events` runs
 * mid-load and returns the windows it caused. Checks what must hold whatever the events were, and
 * returns the figures.
 */
async function underLoad(
  setup: Setup,
  limitKey: string,
  events: (now: () => number) => Promise<{ windows: Window[]; crashAt?: number }>,
) {
  const a = await instance('a', setup);
  const b = await instance('b', setup);
  const proxy = await roundRobinProxy([a.url, b.url]);
  servers.unshift(proxy);

  // Log every user in (through both instances) before anything happens.
  const cookies: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const res = await fetch(`${proxy.url}/login/${i}`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    cookies.push(
      res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; '),
    );
  }

  const load = steadyLoad(`${proxy.url}/visit`, cookies, { perUserRate: PER_USER_RATE });
  await pause(1000);
  const { windows, crashAt } = await events(load.now);
  await pause(2500);
  const samples = await load.stop();
  const end = load.now();
  windows.at(-1)!.end = end;
  const report = windows.map((w) => summarise(samples, w));
  const seconds = end / 1000;

  // Before anything happened, every request succeeded.
  expect(samples.filter((s) => s.at < windows[0]!.start && s.status !== 200)).toEqual([]);
  // Every failure is a documented 503 with its code: no 500, no 502 from the proxy, no hang.
  const failures = samples.filter((s) => s.status !== 200);
  for (const f of failures) {
    expect({ status: f.status, documented: DOCUMENTED.has(f.code ?? '') }).toEqual({ status: 503, documented: true });
  }
  // And each one was reported to the app as a 503.
  for (const e of setup.emitted) expect(e.status).toBe(503);

  // Normal again, on both instances, without a restart: the last 1.5 s all succeeded, on a and b.
  const tail = samples.filter((s) => s.at > end - 1500);
  expect(tail.length).toBeGreaterThan(50);
  expect(tail.filter((s) => s.status !== 200)).toEqual([]);
  expect(new Set(tail.map((s) => s.instance))).toEqual(new Set(['a', 'b']));
  // Normal soon after the cluster is: within the limiter's probe interval (1 s) and a store
  // timeout or two of the cluster being healthy again.
  for (const r of report) expect(r.untilNormalMs).toBeLessThan(r.clusterSettledMs + 2500);

  // Sessions: each user's requests are sequential, so each answer is the previous one + 1, unless
  // a write acknowledged to the client was lost (a regression). A coordinated failover loses
  // none; a crash at most the writes acknowledged within the replication lag before it.
  const lost: Sample[] = [];
  const lastHits = new Array<number>(USERS).fill(0);
  const lastAck = new Array<Sample | undefined>(USERS).fill(undefined);
  for (const s of samples) {
    if (s.status !== 200) continue;
    if (s.hits! <= lastHits[s.user]!) lost.push(lastAck[s.user]!);
    lastHits[s.user] = s.hits!;
    lastAck[s.user] = s;
  }
  if (crashAt === undefined) expect(lost).toEqual([]);
  else {
    expect(lost.filter((s) => s.at < crashAt - 50)).toEqual([]);
    for (const s of lost) expect(s.at).toBeLessThan(crashAt + 50); // acknowledged just before the crash
  }
  // No session written before the switch is gone: every user is still logged in, with its writes.
  for (let i = 0; i < USERS; i++) {
    const res = await fetch(`${proxy.url}/visit`, { headers: { cookie: cookies[i]! } });
    const body = (await res.json()) as { hits: number; user: number };
    expect({ status: res.status, user: body.user }).toEqual({ status: 200, user: i });
    expect(body.hits).toBe(lastHits[i]! + 1);
  }

  // The limiter: the count on Redis is the requests it admitted (answered 200, or passed on and
  // then refused by the session store), within a bound: + those answered 503 whose script ran
  // after their timeout, - increments a crash lost (acknowledged within the replication lag).
  const counted = Number(await clients.at(-1)!.get(limitKey));
  // (+ the logins and the checks above, all answered 200)
  const admitted = 2 * USERS + samples.filter((s) => s.status === 200 || s.code === 'SESSION_STORE_UNAVAILABLE').length;
  const refusedByLimiter = samples.filter((s) => s.code === 'RATE_LIMIT_UNAVAILABLE').length;
  const ackedAroundCrash =
    crashAt === undefined
      ? 0
      : samples.filter((s) => s.status === 200 && s.at >= crashAt - 50 && s.at < crashAt + 50).length;
  expect(counted).toBeGreaterThanOrEqual(admitted - ackedAroundCrash);
  expect(counted).toBeLessThanOrEqual(admitted + refusedByLimiter);
  expect(proxy.counts[0]).toBeGreaterThan(0);
  expect(proxy.counts[1]).toBeGreaterThan(0);

  const figures = {
    limiterTimeout: setup.limiterTimeout,
    requests: samples.length,
    perSecond: Math.round(samples.length / seconds),
    events: report,
    sessionWritesLost: lost.length,
    limiter: { counted, admitted, refusedByLimiter },
  };
  console.log(JSON.stringify(figures));
  return figures;
}

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const c of clients) c.disconnect();
  await cluster?.stop();
});

describe.skipIf(!cluster)('two instances on a Redis Cluster, through a failover and a crash', () => {
  it('a limiter storeTimeout above the failover pause: a CLUSTER FAILOVER costs latency, not errors', async () => {
    const namespace = `scaling-patient-${process.pid}`;
    const limitKey = `${namespace}:kk:127.0.0.1`;
    const figures = await underLoad({ namespace, limiterTimeout: 3000, emitted: [] }, limitKey, async (now) => {
      const start = now();
      await cluster!.failover(limitKey);
      return { windows: [{ name: 'CLUSTER FAILOVER', start, settled: now(), end: 0 }] };
    });
    // The old master holds writes until the replica has taken over (well under 3 s here), then
    // redirects them: nothing fails. (First: a crash later leaves a master without a replica.)
    expect(figures.events[0]!.failed).toBe(0);
  });
  it('default timeouts: a CLUSTER FAILOVER then a SIGKILL of the new master answer only documented 503s, lose no session, need no restart', async () => {
    const namespace = `scaling-default-${process.pid}`;
    const limitKey = `${namespace}:kk:127.0.0.1`; // every request comes through the proxy at 127.0.0.1
    await underLoad({ namespace, limiterTimeout: 500, emitted: [] }, limitKey, async (now) => {
      const failoverStart = now();
      const { from, to } = await cluster!.failover(limitKey);
      const failover: Window = { name: 'CLUSTER FAILOVER', start: failoverStart, settled: now(), end: 0 };
      await pause(1500);
      const victim = await cluster!.masterOf(limitKey);
      expect(victim.port).toBe(to.port);
      const crashAt = now();
      failover.end = crashAt;
      await cluster!.kill(victim.port);
      await cluster!.waitUntilHealthy();
      const crash: Window = { name: 'SIGKILL of a master', start: crashAt, settled: now(), end: 0 };
      expect((await cluster!.masterOf(limitKey)).port).toBe(from.port); // the old master took over again
      return { windows: [failover, crash], crashAt };
    });
  });
});
