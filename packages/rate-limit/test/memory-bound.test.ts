import { describe, expect, it } from 'vitest';
import { memoryCounter, WindowStore } from '../src/memory-store.js';
import { sleep } from './helpers.js';

describe('memory store: bounded, swept', () => {
  it('forgets a million distinct clients once their windows have passed', async () => {
    const counter = memoryCounter(5, 200, 'limit', 2_000_000);
    for (let i = 0; i < 1_000_000; i++) {
      const hit = await counter.hit(`client-${i}`);
      if (!hit.allowed) throw new Error(`client-${i} refused on its first request`);
    }
    expect(counter.store.size).toBe(1_000_000);
    // Still inside the windows of the latest clients: nothing live is swept.
    const early = counter.store.sweep();
    expect(counter.store.size).toBe(1_000_000 - early);
    expect(counter.store.size).toBeGreaterThan(0);
    // The sweep timer empties the store without any further request.
    const deadline = Date.now() + 10_000;
    while (counter.store.size > 0 && Date.now() < deadline) await sleep(100);
    expect(counter.store.size).toBe(0);
  }, 60_000);

  it('never holds more than maxKeys clients; the window ending soonest goes first', async () => {
    const counter = memoryCounter(2, 60_000, 'limit', 1000);
    for (let i = 0; i < 5000; i++) {
      await counter.hit(`c${i}`);
      if (counter.store.size > 1000) throw new Error(`store grew to ${counter.store.size}`);
    }
    expect(counter.store.size).toBe(1000);
    expect(counter.store.has('limit:c3999')).toBe(false);
    expect(counter.store.has('limit:c4000')).toBe(true);
    // A client still tracked keeps its count.
    expect((await counter.hit('c4999')).allowed).toBe(true);
    expect((await counter.hit('c4999')).allowed).toBe(false);
  });

  it('keeps the store ordered by window end, so a restarted window is swept last', async () => {
    const counter = memoryCounter(1, 100, 'limit', 100);
    await counter.hit('a');
    await counter.hit('b');
    await sleep(150);
    await counter.hit('a'); // new window for a
    expect([...counter.store.keys()]).toEqual(['limit:b', 'limit:a']);
    const removed = counter.store.sweep(performance.timeOrigin + performance.now() + 1000);
    expect(removed).toBe(1);
    expect([...counter.store.keys()]).toEqual(['limit:a']);
  });

  it('is a Map koa-ratelimit’s memory limiter accepts', () => {
    expect(new WindowStore(1)).toBeInstanceOf(Map);
  });
});
