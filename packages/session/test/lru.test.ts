import { describe, expect, it } from 'vitest';
import { Lru } from '../src/lru.js';

describe('the verified-cookie cache', () => {
  it('never holds more than max entries under a flood of distinct values', () => {
    const lru = new Lru<number>(100);
    for (let i = 0; i < 10_000; i++) lru.set(`v${i}`, i);
    expect(lru.size).toBeLessThanOrEqual(100);
    expect(lru.get('v9999')).toBe(9999);
    expect(lru.get('v0')).toBeUndefined();
  });

  it('keeps an entry that is read while others flood in', () => {
    const lru = new Lru<number>(10);
    lru.set('hot', 1);
    for (let i = 0; i < 1000; i++) {
      lru.set(`v${i}`, i);
      expect(lru.get('hot')).toBe(1);
    }
  });

  it('with max 0 (or 1) keeps nothing', () => {
    const lru = new Lru<number>(0);
    lru.set('a', 1);
    expect(lru.get('a')).toBeUndefined();
  });
});
