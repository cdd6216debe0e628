import { checkKnownOptions, isPositiveInteger, type SessionRecord, type SessionStore, toJson } from './store.js';

/** Default number of sessions a memory store keeps before it evicts the oldest. */
export const DEFAULT_MEMORY_MAX = 10_000;
/** Default lifetime (ms) of an entry whose session has no numeric maxAge: one day. */
export const DEFAULT_STORE_TTL = 86_400_000;

export interface MemoryStoreOptions {
  /** Most sessions kept; past it the least recently written is evicted. Default 10 000. */
  max?: number;
  /** Lifetime in ms of entries saved without a numeric maxAge (`maxAge: 'session'`). Default one day. */
  ttl?: number;
}

interface Entry {
  json: string;
  expires: number;
}

/**
 * An in-process session store, bounded: it keeps at most `max` sessions (evicting the least
 * recently written), drops expired entries as it meets them, and stores JSON text so a handler
 * mutating `ctx.session` never mutates the store behind koa-session's back.
 */
export function memoryStore(options: MemoryStoreOptions = {}): SessionStore {
  if (options === null || typeof options !== 'object') throw new TypeError('memoryStore: options must be an object');
  checkKnownOptions('memoryStore', options, ['max', 'ttl']);
  const max = options.max ?? DEFAULT_MEMORY_MAX;
  const ttl = options.ttl ?? DEFAULT_STORE_TTL;
  if (!isPositiveInteger(max)) throw new TypeError('memoryStore: "max" option must be a positive integer');
  if (!isPositiveInteger(ttl)) throw new TypeError('memoryStore: "ttl" option must be a positive integer (ms)');

  const entries = new Map<string, Entry>();

  /** Drops expired entries from the old end; entries are kept in write order. */
  const sweep = (now: number): void => {
    for (const [id, entry] of entries) {
      if (entry.expires > now) return;
      entries.delete(id);
    }
  };

  return {
    get(id: string): SessionRecord | undefined {
      const entry = entries.get(id);
      if (entry === undefined) return undefined;
      if (entry.expires <= Date.now()) {
        entries.delete(id);
        return undefined;
      }
      return JSON.parse(entry.json) as SessionRecord;
    },
    set(id: string, data: SessionRecord, maxAge: number | undefined): void {
      const now = Date.now();
      const json = toJson(data);
      entries.delete(id);
      sweep(now);
      entries.set(id, { json, expires: now + (maxAge ?? ttl) });
      while (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
    destroy(id: string): void {
      entries.delete(id);
    },
  };
}
