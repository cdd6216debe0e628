import { randomBytes } from 'node:crypto';
import { type RedisClusterForTests, redisForTests, startRedisCluster } from '@koa-kit/testing';
import { type RedisLocker, redisLocker } from '@koa-kit/upload';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The locker against a real Redis, standalone and a 3-master Cluster started for this file.

const url = await redisForTests();
// Started at import (a few seconds) so that the Cluster tests know whether to run.
const cluster: RedisClusterForTests | null = url ? await startRedisCluster() : null;

afterAll(async () => {
  await cluster?.stop();
});

type Client = Redis | Cluster;

const backends: { name: string; connect: () => Client; available: () => boolean }[] = [
  { name: 'standalone Redis', connect: () => new Redis(url!), available: () => url !== null },
  {
    name: 'Redis Cluster',
    connect: () => new Cluster(cluster!.nodes),
    available: () => cluster !== null,
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = new AbortController().signal;
const id = () => randomBytes(16).toString('hex');

describe('redisLocker(): options', () => {
  const client = { set() {}, eval() {}, publish() {}, duplicate() {} } as never;
  it.each([
    [undefined, /^redisLocker\(\): options must be an object/],
    [{}, /^redisLocker\(\): "client" option must be an ioredis client/],
    [{ client: { get() {} } }, /^redisLocker\(\): "client" option must be an ioredis client/],
    [{ client, tll: 10 }, /^redisLocker\(\): unknown option "tll"/],
    [{ client, ttl: 99 }, /^redisLocker\(\): "ttl" option must be an integer of at least 100 \(milliseconds\)$/],
    [{ client, ttl: '1000' }, /^redisLocker\(\): "ttl" option/],
    [{ client, ttl: Number.NaN }, /^redisLocker\(\): "ttl" option/],
    [
      { client, acquireLockTimeout: -1 },
      /^redisLocker\(\): "acquireLockTimeout" option must be an integer of at least 0/,
    ],
    [{ client, acquireLockTimeout: 1.5 }, /^redisLocker\(\): "acquireLockTimeout" option/],
    [{ client, prefix: 7 }, /^redisLocker\(\): "prefix" option must be a string$/],
  ])('refuses %j with a TypeError', (options, message) => {
    expect(() => redisLocker(options as never)).toThrow(TypeError);
    expect(() => redisLocker(options as never)).toThrow(message);
  });
});

for (const backend of backends) {
  describe(`redisLocker() on ${backend.name}`, () => {
    const open: Client[] = [];
    const lockers: RedisLocker[] = [];
    let admin: Client;
    let prefix: string;

    /** A locker on its own connection, as on another instance. */
    const instance = (options: { ttl?: number; acquireLockTimeout?: number } = {}) => {
      const client = backend.connect();
      open.push(client);
      const locker = redisLocker({ client, prefix, ...options });
      lockers.push(locker);
      return { client, locker };
    };

    beforeAll(() => {
      if (!backend.available()) return;
      admin = backend.connect();
      open.push(admin);
    });
    afterAll(async () => {
      await Promise.all(lockers.map((l) => l.close()));
      await Promise.all(open.map((c) => c.quit().catch(() => c.disconnect())));
    });

    const test = (name: string, fn: () => Promise<void>, timeout = 10_000) =>
      it.skipIf(!backend.available())(
        name,
        async () => {
          prefix = `kk-lock-test:${id()}:`;
          await fn();
        },
        timeout,
      );

    test('lock sets a key with an expiry, a second locker waits, unlock deletes the key and lets it in', async () => {
      const a = instance({ ttl: 2000 });
      const b = instance({ ttl: 2000 });
      const upload = id();
      const lockA = a.locker.newLock(upload);
      let asked: () => void = () => {};
      const askedOnce = new Promise<void>((resolve) => {
        asked = resolve;
      });
      await lockA.lock(never, () => asked());
      const pttl = await admin.pttl(`${prefix}${upload}`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(2000);
      let bHolds = false;
      const lockB = b.locker.newLock(upload);
      const waiting = lockB
        .lock(never, () => {})
        .then(() => {
          bHolds = true;
        });
      // B asking A to let go means B is waiting: it must not hold the lock yet.
      await askedOnce;
      expect(bHolds).toBe(false);
      await lockA.unlock();
      await waiting;
      expect(bHolds).toBe(true);
      await lockB.unlock();
      expect(await admin.exists(`${prefix}${upload}`)).toBe(0);
    });

    test("a waiter's release request reaches the holder on another instance, which lets go", async () => {
      const a = instance();
      const b = instance();
      const upload = id();
      const lockA = a.locker.newLock(upload);
      let asked = 0;
      await lockA.lock(never, () => {
        asked += 1;
        if (asked === 1) void lockA.unlock();
      });
      const started = Date.now();
      const lockB = b.locker.newLock(upload);
      await lockB.lock(never, () => {});
      const waited = Date.now() - started;
      expect(asked).toBeGreaterThanOrEqual(1);
      // Woken by the holder's "free" message, far sooner than the 30 s wait or the 10 s ttl.
      expect(waited).toBeLessThan(5000);
      await lockB.unlock();
    });

    test('a holder that keeps the lock past the wait: 423 UPLOAD_LOCK_TIMEOUT with Retry-After, as the memory locker', async () => {
      const a = instance();
      const b = instance({ acquireLockTimeout: 300 });
      const upload = id();
      const lockA = a.locker.newLock(upload);
      let asked = 0;
      await lockA.lock(never, () => {
        asked += 1;
      });
      const error = await b.locker
        .newLock(upload)
        .lock(never, () => {})
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toMatchObject({ status: 423, expose: true, code: 'UPLOAD_LOCK_TIMEOUT' });
      expect((error as { headers: Record<string, string> }).headers['Retry-After']).toBe('1');
      expect(asked).toBeGreaterThanOrEqual(1);
      await lockA.unlock();
    });

    test('a request that goes away while waiting stops waiting at once', async () => {
      const a = instance();
      const b = instance();
      const upload = id();
      const lockA = a.locker.newLock(upload);
      await lockA.lock(never, () => {});
      const stop = new AbortController();
      const started = Date.now();
      const waiting = b.locker.newLock(upload).lock(stop.signal, () => {});
      await sleep(100);
      stop.abort();
      await expect(waiting).rejects.toMatchObject({ code: 'UPLOAD_LOCK_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(5000);
      await lockA.unlock();
    });

    test("a crashed holder's lock expires after ttl and the waiter gets it", async () => {
      const a = instance({ ttl: 400 });
      const b = instance({ ttl: 400, acquireLockTimeout: 8000 });
      const upload = id();
      await a.locker.newLock(upload).lock(never, () => {});
      // The holder's process dies: its connection drops, nothing unlocks, nothing renews.
      a.client.disconnect();
      const started = Date.now();
      const lockB = b.locker.newLock(upload);
      await lockB.lock(never, () => {});
      // Not freed by anything but the expiry: B waited for what was left of the ttl.
      expect(Date.now() - started).toBeGreaterThan(100);
      expect(await admin.pttl(`${prefix}${upload}`)).toBeGreaterThan(0);
      await lockB.unlock();
    });

    test('renewal keeps a long holder locked far past its ttl', async () => {
      const a = instance({ ttl: 200 });
      const b = instance({ acquireLockTimeout: 0 });
      const upload = id();
      const lockA = a.locker.newLock(upload);
      await lockA.lock(never, () => {});
      const token = await admin.get(`${prefix}${upload}`);
      // Five times the ttl: without renewal the key would be gone after the first.
      for (let i = 0; i < 5; i++) {
        await sleep(200);
        expect(await admin.get(`${prefix}${upload}`)).toBe(token);
        await expect(b.locker.newLock(upload).lock(never, () => {})).rejects.toMatchObject({ status: 423 });
      }
      await lockA.unlock();
      const lockB = b.locker.newLock(upload);
      await lockB.lock(never, () => {});
      await lockB.unlock();
    });

    test("an expired holder's unlock does not delete the next holder's lock (compare-and-delete)", async () => {
      const a = instance({ ttl: 5000 });
      const b = instance({ ttl: 5000 });
      const c = instance({ acquireLockTimeout: 0 });
      const upload = id();
      const lockA = a.locker.newLock(upload);
      let aAsked = 0;
      await lockA.lock(never, () => {
        aAsked += 1;
      });
      // A stalls past its ttl (a long GC pause, a frozen VM): its key expires, B takes the upload.
      await admin.del(`${prefix}${upload}`);
      const lockB = b.locker.newLock(upload);
      await lockB.lock(never, () => {});
      const tokenB = await admin.get(`${prefix}${upload}`);
      await lockA.unlock();
      expect(await admin.get(`${prefix}${upload}`)).toBe(tokenB);
      await expect(c.locker.newLock(upload).lock(never, () => {})).rejects.toMatchObject({ status: 423 });
      await lockB.unlock();
      expect(await admin.exists(`${prefix}${upload}`)).toBe(0);
      expect(aAsked).toBe(0);
    });

    test('a holder whose key was taken over is asked to let go at its next renewal', async () => {
      const a = instance({ ttl: 300 });
      const upload = id();
      const lockA = a.locker.newLock(upload);
      let aAsked = 0;
      await lockA.lock(never, () => {
        aAsked += 1;
      });
      await admin.set(`${prefix}${upload}`, 'someone-else', 'PX', 5000);
      for (let i = 0; i < 100 && aAsked === 0; i++) await sleep(20);
      expect(aAsked).toBe(1);
      await lockA.unlock();
      expect(await admin.get(`${prefix}${upload}`)).toBe('someone-else');
    });

    it.skipIf(backend.name !== 'Redis Cluster' || !backend.available())(
      "a lock held through a CLUSTER FAILOVER of its key's master stays held, renewed, and unlocks",
      async () => {
        prefix = `kk-lock-test:${id()}:`;
        const a = instance({ ttl: 1000 });
        const b = instance({ acquireLockTimeout: 0 });
        const upload = id();
        const key = `${prefix}${upload}`;
        const lockA = a.locker.newLock(upload);
        let asked = 0;
        await lockA.lock(never, () => {
          asked += 1;
        });
        const token = await admin.get(key);
        const { from, to } = await cluster!.failover(key);
        expect(to.port).not.toBe(from.port);
        // Three ttls on the new master: only renewals through it keep the key.
        await sleep(3000);
        expect(await admin.get(key)).toBe(token);
        await expect(b.locker.newLock(upload).lock(never, () => {})).rejects.toMatchObject({ status: 423 });
        expect(asked).toBe(0);
        await lockA.unlock();
        expect(await admin.exists(key)).toBe(0);
      },
      30_000,
    );

    test('locks of different uploads do not wait for each other', async () => {
      const a = instance();
      const b = instance({ acquireLockTimeout: 0 });
      const one = a.locker.newLock(id());
      const two = b.locker.newLock(id());
      await one.lock(never, () => {});
      await two.lock(never, () => {});
      await Promise.all([one.unlock(), two.unlock()]);
    });
  });
}
