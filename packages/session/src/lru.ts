/** A small least-recently-used map: `get` refreshes an entry, `set` evicts the oldest past `max`. */
export class Lru<V> {
  readonly #max: number;
  readonly #map = new Map<string, V>();

  constructor(max: number) {
    this.#max = max;
  }

  get(key: string): V | undefined {
    const map = this.#map;
    const value = map.get(key);
    if (value !== undefined) {
      map.delete(key);
      map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    if (this.#max === 0) return;
    const map = this.#map;
    map.delete(key);
    map.set(key, value);
    if (map.size > this.#max) map.delete(map.keys().next().value as string);
  }

  get size(): number {
    return this.#map.size;
  }
}
