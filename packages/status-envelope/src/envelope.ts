import { STATUS_CODES } from 'node:http';
import type { Context, Middleware, Next } from 'koa';

export interface StatusEnvelopeOptions {
  /**
   * `'keep'` (default): the HTTP status stays the real one and `code` mirrors it.
   * `'always-200'`: for legacy clients that only read the body: every enveloped response (and,
   * with errors({ format: 'envelope' }) above, every error) is sent as HTTP 200.
   */
  httpStatus?: 'keep' | 'always-200';
}

/** What a handler may put in `ctx.state.envelope` for its response. */
export interface EnvelopeState {
  /** Body `code` instead of the HTTP status. */
  code?: number;
  /** Body `message` instead of the status text. */
  message?: string;
  /** Paging information, sent as `pageInfo` beside `data`. */
  pageInfo?: unknown;
  /** Send this response as it is, without an envelope. */
  skip?: boolean;
  /** With no body: send `{ code, message, data: null }` (status 200 unless one was set) instead of 204/404. */
  nullData?: boolean;
}

/** The body of an enveloped response. */
export interface Envelope<T = unknown> {
  code: number;
  message: string;
  data: T;
  pageInfo?: unknown;
}

declare module 'koa' {
  interface DefaultState {
    /** Set by a handler to shape its envelope (@koa-kit/status-envelope). */
    envelope?: EnvelopeState;
    /** Set by statusEnvelope({ httpStatus: 'always-200' }), read by @koa-kit/errors. */
    envelopeHttpStatus?: 'always-200';
  }
}

const KNOWN = new Set(['httpStatus']);
const JSON_TYPE = 'application/json; charset=utf-8';

function resolveOptions(options: StatusEnvelopeOptions | undefined): { always200: boolean } {
  if (options === undefined) return { always200: false };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('statusEnvelope() options must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`unknown option "${key}" for statusEnvelope()`);
  }
  const httpStatus = options.httpStatus ?? 'keep';
  if (httpStatus !== 'keep' && httpStatus !== 'always-200') {
    throw new TypeError('"httpStatus" option must be "keep" or "always-200"');
  }
  return { always200: httpStatus === 'always-200' };
}

/** Bodies Koa would send as JSON: objects and arrays that are not binary, streams or web bodies. */
function isJsonBody(body: object): boolean {
  if (Buffer.isBuffer(body) || ArrayBuffer.isView(body) || body instanceof ArrayBuffer) return false;
  if (typeof (body as { pipe?: unknown }).pipe === 'function') return false;
  if (body instanceof Blob || body instanceof ReadableStream || body instanceof Response) return false;
  return true;
}

/**
 * Wraps every JSON response body in FastFlyer's envelope `{ code, message, data, pageInfo? }`.
 * Strings, Buffers, streams, 204/304 and HEAD are left as they are; so is a route that sets
 * `ctx.state.envelope = { skip: true }`.
 */
export function statusEnvelope(options?: StatusEnvelopeOptions): Middleware {
  const { always200 } = resolveOptions(options);

  return async function statusEnvelope(ctx: Context, next: Next): Promise<void> {
    if (always200) ctx.state.envelopeHttpStatus = 'always-200';
    await next();
    if (ctx.method === 'HEAD' || ctx.respond === false) return;
    const raw: unknown = ctx.state.envelope;
    const state = raw !== null && typeof raw === 'object' ? (raw as EnvelopeState) : undefined;
    if (state?.skip === true) return;

    const body: unknown = ctx.body;
    let status = ctx.status;
    let data: unknown;
    if (body == null) {
      if (state?.nullData !== true) return;
      // Koa turned the missing body into 204, or left its default 404 (no status was set): the
      // handler asked for a body, so it is a 200; a 404 the handler set itself stays
      if (status === 204 || (status === 404 && !(ctx.response as { _explicitStatus?: boolean })._explicitStatus)) {
        status = 200;
      }
      data = null;
    } else {
      if (typeof body !== 'object' || status === 204 || status === 205 || status === 304) return;
      if (!isJsonBody(body)) return;
      data = body;
    }

    const envelope: Envelope = {
      code: typeof state?.code === 'number' ? state.code : status,
      message: typeof state?.message === 'string' ? state.message : (STATUS_CODES[status] ?? ''),
      data,
    };
    if (state?.pageInfo !== undefined) envelope.pageInfo = state.pageInfo;
    // Serialized here, once: a string body costs Koa less than a second object body (which it
    // would stringify anyway), and a body that cannot be serialized fails inside the chain, where
    // the error handler above renders it.
    if (data === null && !ctx.type) ctx.type = JSON_TYPE;
    ctx.body = JSON.stringify(envelope);
    if (always200) ctx.status = 200;
    else if (status !== ctx.status) ctx.status = status;
  };
}
