import { describe, expect, it } from 'vitest';
import { memoryCounter } from '../src/memory-store.js';

/** Mean ns per new client id: while filling a store of maxKeys, then past it (each one evicts another). */
function costPerNewId(maxKeys: number, newIds: number): { filling: number; evicting: number } {
  const counter = memoryCounter(5, 3_600_000, maxKeys);
  let t0 = performance.now();
  for (let i = 0; i < maxKeys; i++) counter.hit(`fill-${i}`);
  const filling = ((performance.now() - t0) * 1e6) / maxKeys;
  t0 = performance.now();
  for (let i = 0; i < newIds; i++) counter.hit(`new-${i}`);
  const evicting = ((performance.now() - t0) * 1e6) / newIds;
  if (counter.store.size !== maxKeys) throw new Error(`store holds ${counter.store.size}, not ${maxKeys}`);
  return { filling, evicting };
}

// Unit level on purpose: a microsecond per id is lost in the noise of an HTTP round trip.
describe('memory store: eviction cost does not depend on history', () => {
  it('a new id past maxKeys costs about what one below it does, at 10k, 100k and 500k ids', () => {
    const newIds = 60_000;
    costPerNewId(10_000, newIds); // warm up the JIT
    const small = costPerNewId(10_000, newIds);
    const medium = costPerNewId(100_000, newIds);
    const large = costPerNewId(500_000, newIds);
    // The median filling cost is the reference: the machine is shared, one figure alone is noisy.
    const base = [small.filling, medium.filling, large.filling].sort((a, b) => a - b)[1]!;
    const ratios = [small.evicting / base, medium.evicting / base, large.evicting / base];
    console.log('ns per new id', { small, medium, large, ratios });
    for (const ratio of ratios) expect(ratio).toBeLessThan(5);
  }, 60_000);
});
