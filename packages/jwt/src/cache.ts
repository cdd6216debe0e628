interface Slot<V> {
  value: V;
  /** Position in recency order: the insertion counter when the entry was last (re)inserted. */
  seq: number;
}

/**
 * A bounded map that evicts the least recently used entry. A hit moves its entry to the recent end
 * only once the entry has drifted towards the older half (`max / 2` or more insertions since it was
 * last moved), so the common hit is a single `Map.get` while an entry used at least once per
 * `max / 2` insertions is never evicted.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, Slot<V>>();
  readonly #half: number;
  #seq = 0;

  constructor(readonly max: number) {
    this.#half = Math.floor(max / 2);
  }

  get(key: K): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    if (this.#seq - slot.seq >= this.#half) {
      this.#map.delete(key);
      slot.seq = ++this.#seq;
      this.#map.set(key, slot);
    }
    return slot.value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    if (this.#map.size >= this.max) this.#map.delete(this.#map.keys().next().value as K);
    this.#map.set(key, { value, seq: ++this.#seq });
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  get size(): number {
    return this.#map.size;
  }
}
