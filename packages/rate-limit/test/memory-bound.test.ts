import { describe, expect, it } from 'vitest';
import { memoryCounter } from '../src/memory-store.js';
import { sleep } from './helpers.js';

describe('memory store: bounded, swept', () => {
  it('forgets a million distinct clients once their windows have passed', async () => {
    const counter = memoryCounter(5, 200, 2_000_000);
    for (let i = 0; i < 1_000_000; i++) {
      const window = counter.hit(`client-${i}`);
      if (window.used !== 1) throw new Error(`client-${i} refused on its first request`);
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
    const counter = memoryCounter(2, 60_000, 1000);
    for (let i = 0; i < 5000; i++) {
      counter.hit(`c${i}`);
      if (counter.store.size > 1000) throw new Error(`store grew to ${counter.store.size}`);
    }
    expect(counter.store.size).toBe(1000);
    expect(counter.store.has('c3999')).toBe(false);
    expect(counter.store.has('c4000')).toBe(true);
    // A client still tracked keeps its count.
    expect(counter.hit('c4999').used).toBe(2);
    expect(counter.hit('c4999').used).toBe(3); // over max (2): refused
  });

  it('keeps the store ordered by window end, so a restarted window is swept last', async () => {
    const counter = memoryCounter(1, 100, 100);
    counter.hit('a');
    counter.hit('b');
    await sleep(150);
    counter.hit('a'); // new window for a
    expect([...counter.store.keys()]).toEqual(['b', 'a']);
    const removed = counter.store.sweep(performance.timeOrigin + performance.now() + 1000);
    expect(removed).toBe(1);
    expect([...counter.store.keys()]).toEqual(['a']);
  });
});
