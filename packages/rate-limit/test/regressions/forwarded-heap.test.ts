import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, listen } from '@koa-kit/testing';
import { describe, expect, it } from 'vitest';
import { assertOnlyRefusals, makeApp } from '../helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap growth per tracked client, in bytes, when each sends its own X-Forwarded-For padded with `filler`. */
async function bytesPerClient(filler: string, clients: number): Promise<number> {
  const { app } = makeApp(rateLimit({ max: 5, duration: '1h' }));
  app.proxy = true;
  const errors = collectAppErrors(app);
  const server = await listen(app);
  try {
    await fetch(server.url, { headers: { 'x-forwarded-for': `warm-${filler}` } }).then((r) => r.arrayBuffer());
    const before = heapAfterGc();
    for (let i = 0; i < clients; i++) {
      const res = await fetch(server.url, { headers: { 'x-forwarded-for': `${i}-${filler}` } });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
    }
    const perClient = (heapAfterGc() - before) / clients;
    // Each one was counted as its own client (its key is cut to 256 characters, not dropped).
    const again = await fetch(server.url, { headers: { 'x-forwarded-for': `7-${filler}` } });
    expect(again.headers.get('x-ratelimit-remaining')).toBe('3');
    assertOnlyRefusals(errors.take());
    return perClient;
  } finally {
    await server.close();
  }
}

describe('memory bound in bytes: a huge X-Forwarded-For is not kept alive by its key', () => {
  it('a client sending 15 kB costs at most 1 kB more than one sending 300 bytes (its key is 256 characters either way)', async () => {
    const small = await bytesPerClient('x'.repeat(300), 600);
    const huge = await bytesPerClient('x'.repeat(15_000), 600);
    expect(huge - small).toBeLessThan(1024);
  }, 60_000);
});
