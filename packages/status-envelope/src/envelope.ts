import { ENVELOPE_STATE, optionError, optionsObject, rejectUnknownOptions } from '@koa-kit/common';
import createError from 'http-errors';
import type { Context, Middleware, Next } from 'koa';
import { MESSAGE_SETS, type MessageSet } from './messages.js';
import { type PageInfo, toPageInfo } from './page-info.js';

export interface StatusEnvelopeOptions {
  /**
   * `'keep'` (default): the HTTP status stays the real one and `code` mirrors it.
   * `'always-200'`: for legacy clients that only read the body: every enveloped response (and,
   * with errors({ format: 'envelope' }) above, every error) is sent as HTTP 200.
   */
  httpStatus?: 'keep' | 'always-200';
  /**
   * FastFlyer's `STATUS_CODE_BASE`: an integer (0 to 1e9) added to every body `code`, success and
   * error alike (with errors({ format: 'envelope' }) above). Default 0.
   */
  codeBase?: number;
  /** The `message` of error envelopes: `'en'` (default) or FastFlyer's Chinese defaults `'zh'`. */
  messages?: MessageSet;
}

/** What a handler may put in `ctx.state.envelope` for its response. */
export interface EnvelopeState {
  /** Body `code` instead of the HTTP status. */
  code?: number;
  /** Body `message` instead of `""`. */
  message?: string;
  /** FastFlyer paging, sent as `pageInfo` beside `data`: build it with `pageInfo()`. */
  pageInfo?: PageInfo;
  /** Send this response as it is, without an envelope. */
  skip?: boolean;
  /** With no body: send `{ code, message, data: null }` (status 200 unless one was set) instead of 204/404. */
  nullData?: boolean;
}

/** The body of an enveloped response. */
export interface Envelope<T = unknown> {
  code: number;
  message: string;
  detail: string;
  data: T;
  pageInfo?: PageInfo;
}

// The three envelope* keys are ENVELOPE_STATE (internal/common), the names errors() reads.
declare module 'koa' {
  interface DefaultState {
    /** Set by a handler to shape its envelope (@koa-kit/status-envelope). */
    envelope?: EnvelopeState;
    /** Set by statusEnvelope({ httpStatus: 'always-200' }), read by @koa-kit/errors. */
    envelopeHttpStatus?: 'always-200';
    /** Set by statusEnvelope({ codeBase }) when not 0, read by @koa-kit/errors. */
    envelopeCodeBase?: number;
    /** Set by statusEnvelope(): the message of each body code, read by @koa-kit/errors. */
    envelopeMessages?: ReadonlyMap<number, string>;
  }
}

const KNOWN = new Set(['httpStatus', 'codeBase', 'messages']);
const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_CODE_BASE = 1_000_000_000;

interface Resolved {
  always200: boolean;
  codeBase: number;
  messages: ReadonlyMap<number, string>;
}

function resolveOptions(given: StatusEnvelopeOptions | undefined): Resolved {
  const options = optionsObject('statusEnvelope', given);
  rejectUnknownOptions('statusEnvelope', options, KNOWN);
  const httpStatus = options.httpStatus ?? 'keep';
  if (httpStatus !== 'keep' && httpStatus !== 'always-200') {
    throw optionError('statusEnvelope', '"httpStatus" option must be "keep" or "always-200"');
  }
  const codeBase = options.codeBase ?? 0;
  if (!Number.isInteger(codeBase) || codeBase < 0 || codeBase > MAX_CODE_BASE) {
    throw optionError('statusEnvelope', `"codeBase" option must be an integer from 0 to ${MAX_CODE_BASE}`);
  }
  const messages = options.messages ?? 'en';
  if (messages !== 'en' && messages !== 'zh')
    throw optionError('statusEnvelope', '"messages" option must be "en" or "zh"');
  return { always200: httpStatus === 'always-200', codeBase, messages: MESSAGE_SETS[messages] };
}

/** Bodies Koa would send as JSON: objects and arrays that are not binary, streams or web bodies. */
function isJsonBody(body: object): boolean {
  if (Buffer.isBuffer(body) || ArrayBuffer.isView(body) || body instanceof ArrayBuffer) return false;
  if (typeof (body as { pipe?: unknown }).pipe === 'function') return false;
  if (body instanceof Blob || body instanceof ReadableStream || body instanceof Response) return false;
  return true;
}

/**
 * Wraps every JSON response body in FastFlyer's envelope `{ code, message, detail, data, pageInfo? }`.
 * Strings, Buffers, streams, 204/304 and HEAD are left as they are; so is a route that sets
 * `ctx.state.envelope = { skip: true }`.
 */
export function statusEnvelope(options?: StatusEnvelopeOptions): Middleware {
  const { always200, codeBase, messages } = resolveOptions(options);

  return async function statusEnvelope(ctx: Context, next: Next): Promise<void> {
    if (always200) ctx.state[ENVELOPE_STATE.httpStatus] = 'always-200';
    if (codeBase !== 0) ctx.state[ENVELOPE_STATE.codeBase] = codeBase;
    ctx.state[ENVELOPE_STATE.messages] = messages;
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
      code: codeBase + (typeof state?.code === 'number' ? state.code : status),
      message: typeof state?.message === 'string' ? state.message : '',
      detail: '',
      data,
    };
    if (state?.pageInfo !== undefined) {
      const page = toPageInfo(state.pageInfo);
      // a free-form object is a handler bug, and may hold anything: never sent as it is
      if (page === undefined) {
        throw createError(500, 'ctx.state.envelope.pageInfo must be { total, offset, size }', {
          expose: false,
          code: 'INVALID_PAGE_INFO',
        });
      }
      envelope.pageInfo = page;
    }
    // Serialized here, once: a string body costs Koa less than a second object body (which it
    // would stringify anyway), and a body that cannot be serialized fails inside the chain, where
    // the error handler above renders it.
    if (data === null && !ctx.type) ctx.type = JSON_TYPE;
    ctx.body = JSON.stringify(envelope);
    if (always200) ctx.status = 200;
    else if (status !== ctx.status) ctx.status = status;
  };
}
