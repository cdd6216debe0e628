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

// Issue 25: the "LRU" moved a hit only after max/2 insertions since its last move, so an entry
// used just now could be the next one evicted.
it('keeps every entry used more recently than the evicted one (a hit always counts)', () => {
  const lru = new Lru<string, number>(4);
  for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) lru.set(key, i);
  expect(lru.get('c')).toBe(2);
  expect(lru.get('a')).toBe(0);
  lru.set('e', 4); // evicts b, the least recently used
  lru.set('f', 5); // evicts d
  expect(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => lru.get(k) !== undefined)).toEqual([
    true,
    false,
    true,
    false,
    true,
    true,
  ]);
});

it('matches a reference LRU over a long random mix of get, set and delete', () => {
  const lru = new Lru<number, number>(8);
  const reference: number[] = []; // keys, least recently used first
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 5000; i++) {
    const key = random(20);
    const at = reference.indexOf(key);
    const op = random(3);
    if (op === 0) {
      expect(lru.get(key)).toBe(at === -1 ? undefined : key);
      if (at !== -1) reference.push(...reference.splice(at, 1));
    } else if (op === 1) {
      lru.set(key, key);
      if (at !== -1) reference.splice(at, 1);
      else if (reference.length === 8) reference.shift();
      reference.push(key);
    } else {
      lru.delete(key);
      if (at !== -1) reference.splice(at, 1);
    }
    expect(lru.size).toBe(reference.length);
  }
  for (const key of reference) expect(lru.get(key)).toBe(key);
});
