import { optionError } from '@koa-kit/common';
import type { ParameterizedContext } from 'koa';
import { notSerializable } from './errors.js';

/** Session data as stored: a JSON-compatible object. */
export type SessionRecord = Record<string, unknown>;

type Maybe<T> = T | Promise<T>;

/**
 * Where server-side sessions live. Each method may return a value or a promise; a `get` that
 * answers synchronously is called on the first read of `ctx.session` only. `maxAge` is the
 * entry's lifetime in milliseconds (the cookie's maxAge plus 10 s, as koa-session, so the entry
 * outlives its cookie), or undefined for a browser-session cookie (`maxAge: 'session'`).
 *
 * Revisions (optional): a `get` may give the data a `_rev`; `set` then receives the `_rev` that
 * was read (none for a new session), and may refuse the write by returning `false` (a 409
 * SESSION_CONFLICT) or return the new revision.
 */
export interface SessionStore {
  get(id: string, context?: StoreContext): Maybe<SessionRecord | null | undefined>;
  set(
    id: string,
    data: SessionRecord,
    maxAge: number | undefined,
    context?: StoreContext,
    // biome-ignore lint/suspicious/noConfusingVoidType: a store's set() may return nothing
  ): Maybe<void | false | number>;
  destroy(id: string, context?: StoreContext): Maybe<void>;
  /**
   * Optional: refreshes the entry's lifetime (to `maxAge`) and its `_expire` (in `data`) without
   * rewriting the data; used by `rolling` and `renew` when the data did not change. `false`: the
   * entry is gone (it is not recreated). Without it, `set` is called with `changed: false`.
   */
  touch?(
    id: string,
    data: SessionRecord,
    maxAge: number | undefined,
    context?: StoreContext,
    // biome-ignore lint/suspicious/noConfusingVoidType: a store's touch() may return nothing
  ): Maybe<void | boolean>;
}

/** Marks a store whose `get` always answers synchronously (memoryStore): never preloaded. */
export const SYNC_GET = Symbol('koa-kit.session.syncGet');

/** How a store treats a write whose `_rev` is not the stored one. */
export type ConflictMode = 'overwrite' | 'refuse';

export function conflictMode(factory: string, value: unknown): ConflictMode {
  if (value === undefined) return 'overwrite';
  if (value !== 'overwrite' && value !== 'refuse')
    throw optionError(factory, '"conflicts" option must be "overwrite" or "refuse"');
  return value;
}

/**
 * What koa-session passes a store as its last argument: the request, and on `get`/`set` whether
 * `rolling` is on; on `set`, `changed` is false when the save only renews an unchanged session.
 */
export interface StoreContext {
  ctx: ParameterizedContext<any, any, any>;
  rolling?: boolean;
  changed?: boolean;
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** JSON text of session data, or a SESSION_NOT_SERIALIZABLE error. */
export function toJson(data: SessionRecord): string {
  try {
    return JSON.stringify(data);
  } catch (err) {
    throw notSerializable(err);
  }
}
