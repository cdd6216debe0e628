import { expect, it } from 'vitest';
import { Lru } from '../src/cache.js';

it('stays bounded and evicts the oldest entry that was not used recently', () => {
  const lru = new Lru<string, number>(100);
  for (let i = 0; i < 1000; i++) {
    lru.set(`k${i}`, i);
    // "hot" is used every 10 insertions: it must survive all 1000 insertions.
    if (i === 0) lru.set('hot', -1);
    if (i % 10 === 0) expect(lru.get('hot')).toBe(-1);
    expect(lru.size).toBeLessThanOrEqual(100);
  }
  expect(lru.get('hot')).toBe(-1);
  expect(lru.get('k0')).toBeUndefined();
  expect(lru.get('k999')).toBe(999);
  expect(lru.get('k900')).toBeUndefined(); // 100 slots: hot + k901..k999
  expect(lru.get('k901')).toBe(901);
});

it('behaves as an exact LRU for a cache of two', () => {
  const lru = new Lru<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  expect(lru.get('a')).toBe(1);
  lru.set('c', 3);
  expect(lru.get('b')).toBeUndefined();
  expect(lru.get('a')).toBe(1);
  expect(lru.get('c')).toBe(3);
});
