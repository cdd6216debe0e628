import { rateLimit } from '@koa-kit/rate-limit';
import { type Listening, listen } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeApp } from '../helpers.js';

describe("onStoreError 'deny': Koa's default error handler logs once per outage, not once per request", () => {
  let http: Listening | undefined;
  let db: Redis | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await http?.close();
    db?.disconnect();
  });

  it('50 refused requests while Redis is unreachable: 50 x 503, one logged stack', async () => {
    // Nothing listens on port 1: every connection attempt is refused.
    db = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    db.on('error', () => undefined);
    const { app, ran } = makeApp(rateLimit({ db, max: 3, onStoreError: 'deny', storeTimeout: 200 }));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    http = await listen(app); // no 'error' listener: Koa's own app.onerror decides what to log
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await fetch(http.url);
      expect(await res.text()).toBe('Service Unavailable');
      expect(res.headers.get('retry-after')).toBe('1');
      statuses.push(res.status);
    }
    expect(statuses).toEqual(Array(50).fill(503));
    expect(ran()).toBe(0);
    const stacks = logged.mock.calls.map((args) => String(args[0]));
    expect(stacks).toHaveLength(1);
    expect(stacks[0]).toMatch(/rate-limit store failed/);
  });
});
