/**
 * A bounded cache that costs one map lookup on a hit: two generations, `hot` and `cold`. A hit in
 * `cold` is promoted to `hot`; when `hot` holds half of `max`, it becomes `cold` and the old cold
 * generation is dropped. So at most `max` entries are kept, recently used ones survive, and a hit
 * never reorders anything.
 */
export class Lru<V> {
  readonly #half: number;
  #hot = new Map<string, V>();
  #cold = new Map<string, V>();

  constructor(max: number) {
    this.#half = Math.floor(max / 2);
  }

  get(key: string): V | undefined {
    const value = this.#hot.get(key);
    if (value !== undefined) return value;
    const old = this.#cold.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.#half === 0) return;
    if (this.#hot.size >= this.#half && !this.#hot.has(key)) {
      this.#cold = this.#hot;
      this.#hot = new Map();
    }
    this.#hot.set(key, value);
  }

  get size(): number {
    return this.#hot.size + this.#cold.size;
  }
}
