import { optionError, optionsObject, rejectUnknownOptions } from '@koa-kit/common';
import {
  type ConflictMode,
  conflictMode,
  isPositiveInteger,
  type SessionRecord,
  type SessionStore,
  SYNC_GET,
  toJson,
} from './store.js';

/** Default number of sessions a memory store keeps before it evicts the oldest. */
export const DEFAULT_MEMORY_MAX = 10_000;
/** Default lifetime (ms) of an entry whose session has no numeric maxAge: one day. */
export const DEFAULT_STORE_TTL = 86_400_000;

const KNOWN: ReadonlySet<string> = new Set(['max', 'ttl', 'conflicts']);

export interface MemoryStoreOptions {
  /** Most sessions kept; past it the least recently written is evicted. Default 10 000. */
  max?: number;
  /** Lifetime in ms of entries saved without a numeric maxAge (`maxAge: 'session'`). Default one day. */
  ttl?: number;
  /**
   * A write of a session that another request changed since this one read it: `'overwrite'`
   * (default: the last write wins) or `'refuse'` (a 409 SESSION_CONFLICT). A session destroyed
   * since it was read is never written back, in either mode.
   */
  conflicts?: ConflictMode;
}

interface Entry {
  /** The data, without `_expire` (kept in `expire`, so that touch() need not rewrite it). */
  json: string;
  /** The session's `_expire` (ms since the epoch), if it has one. */
  expire: number | undefined;
  rev: number;
  /** When the entry itself expires (ms since the epoch). */
  until: number;
}

/**
 * An in-process session store, bounded: it keeps at most `max` sessions (evicting the least
 * recently written or touched), drops expired entries as it meets them, and stores JSON text so a
 * handler mutating `ctx.session` never mutates the store behind the session's back.
 */
export function memoryStore(given: MemoryStoreOptions = {}): SessionStore {
  const options = optionsObject('memoryStore', given);
  rejectUnknownOptions('memoryStore', options, KNOWN);
  const max = options.max ?? DEFAULT_MEMORY_MAX;
  const ttl = options.ttl ?? DEFAULT_STORE_TTL;
  if (!isPositiveInteger(max)) throw optionError('memoryStore', '"max" option must be a positive integer');
  if (!isPositiveInteger(ttl)) throw optionError('memoryStore', '"ttl" option must be a positive integer (ms)');
  const refuseConflicts = conflictMode('memoryStore', options.conflicts) === 'refuse';

  const entries = new Map<string, Entry>();

  /** Drops expired entries from the old end; entries are kept in write order. */
  const sweep = (now: number): void => {
    for (const [id, entry] of entries) {
      if (entry.until > now) return;
      entries.delete(id);
    }
  };
  const live = (id: string, now: number): Entry | undefined => {
    const entry = entries.get(id);
    if (entry === undefined || entry.until > now) return entry;
    entries.delete(id);
    return undefined;
  };
  const put = (id: string, entry: Entry, now: number): void => {
    entries.delete(id);
    sweep(now);
    entries.set(id, entry);
    while (entries.size > max) entries.delete(entries.keys().next().value as string);
  };

  const store: SessionStore = {
    get(id: string): SessionRecord | undefined {
      const entry = live(id, Date.now());
      if (entry === undefined) return undefined;
      const data = JSON.parse(entry.json) as SessionRecord;
      if (entry.expire !== undefined) data._expire = entry.expire;
      data._rev = entry.rev;
      return data;
    },
    set(id: string, data: SessionRecord, maxAge: number | undefined): false | number {
      const now = Date.now();
      const { _expire: expire, _rev: read, ...rest } = data;
      const json = toJson(rest);
      const current = live(id, now);
      if (read !== undefined) {
        // read, then destroyed (or expired): never written back
        if (current === undefined) return false;
        if (refuseConflicts && current.rev !== read) return false;
      }
      const rev = (current?.rev ?? 0) + 1;
      put(
        id,
        { json, expire: typeof expire === 'number' ? expire : undefined, rev, until: now + (maxAge ?? ttl) },
        now,
      );
      return rev;
    },
    touch(id: string, data: SessionRecord, maxAge: number | undefined): boolean {
      const now = Date.now();
      const current = live(id, now);
      if (current === undefined) return false;
      current.expire = typeof data._expire === 'number' ? data._expire : undefined;
      current.until = now + (maxAge ?? ttl);
      // the same entry, moved to the young end: its JSON is not rewritten
      put(id, current, now);
      return true;
    },
    destroy(id: string): void {
      entries.delete(id);
    },
  };
  Object.defineProperty(store, SYNC_GET, { value: true });
  return store;
}
