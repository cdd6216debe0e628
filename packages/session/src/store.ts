import type { ParameterizedContext } from 'koa';
import { notSerializable } from './errors.js';

/** Session data as stored: a JSON-compatible object. */
export type SessionRecord = Record<string, unknown>;

/**
 * Where server-side sessions live. Each method may return a value or a promise. `maxAge` is the
 * entry's lifetime in milliseconds (koa-session adds 10 s to the cookie's maxAge so the entry
 * outlives its cookie), or undefined for a browser-session cookie (`maxAge: 'session'`).
 */
export interface SessionStore {
  get(id: string, context?: StoreContext): SessionRecord | null | undefined | Promise<SessionRecord | null | undefined>;
  set(id: string, data: SessionRecord, maxAge: number | undefined, context?: StoreContext): void | Promise<void>;
  destroy(id: string, context?: StoreContext): void | Promise<void>;
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

export function checkKnownOptions(name: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${name}: unknown option "${key}"`);
  }
}

/** JSON text of session data, or a SESSION_NOT_SERIALIZABLE error. */
export function toJson(data: SessionRecord): string {
  try {
    return JSON.stringify(data);
  } catch (err) {
    throw notSerializable(err);
  }
}
