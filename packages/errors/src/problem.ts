import { STATUS_CODES as STATUS_TEXT, validateHeaderName, validateHeaderValue } from 'node:http';
import createError from 'http-errors';
import type { Context } from 'koa';
import { deriveAllow } from './allow.js';
import { jsonSafe, MAX_EXTENSIONS_JSON, ownKeys, read, truncate } from './json-safe.js';

/** What errors() knows about a failure, after normalization; the input of every format. */
export interface Problem {
  /** HTTP status: the error's `status`/`statusCode` when it is 4xx/5xx, else 500. */
  status: number;
  /** `err.title` of an exposed error, else the status text, e.g. "Not Found". */
  title: string;
  /** The message a client may see: the error's message for 4xx and exposed errors, else the status text. */
  detail: string;
  /** Upper-case code: the error's own `code` when it is shown, else one derived from the status (`NOT_FOUND`). */
  code: string;
  /** The numeric envelope code: `err.envelopeCode` (e.g. 604 from thirdPartyError) or the status. */
  envelopeCode: number;
  /** RFC 9457 `type`: the error's `type` when it is a URI reference (absolute or relative) and exposed, else "about:blank". */
  type: string;
  /** RFC 9457 `instance`: the request path, percent-encoded where needed to be a valid URI reference. */
  instance: string;
  /** The members of an exposed error's `err.extensions` (e.g. validation `errors`), made JSON-safe. */
  extensions: Record<string, unknown>;
  /** The stack, only when stacks are enabled. */
  stack?: string;
  /** Headers the response gets: the error's `headers` (validated) and a derived `Allow`. */
  headers: Record<string, string | string[]>;
  /** Whether the error's own message is shown. */
  expose: boolean;
  /** The thrown value; non-Error values are wrapped in an Error whose `cause` is the value. */
  error: Error;
}

const MAX_STACK_LENGTH = 16_384;
const CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Members of a problem body that `err.extensions` can never replace. */
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'stack', '__proto__']);

/**
 * A URI reference (RFC 3986): only URI characters and well-formed percent-escapes, not
 * scheme-relative; absolute (`https:...`) or relative with a `/` (`/problems/x`), so a library's
 * tag such as raw-body's `entity.too.large` is not taken for a problem type.
 */
const URI_REFERENCE =
  /^(?!\/\/)(?=[A-Za-z][A-Za-z0-9+.-]*:|[^:]*\/)(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})+$/;
const NOT_PATH_CHARACTER = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]|%(?![0-9A-Fa-f]{2})/g;

/** Non-Errors thrown without a string message: their wrapper's message is never shown. */
const WITHOUT_MESSAGE = new WeakSet<Error>();

/** Codes derived from status texts, computed once: 404 -> NOT_FOUND, 418 -> IM_A_TEAPOT. */
const STATUS_NAMES = new Map<number, string>();
for (const key of Object.keys(STATUS_TEXT)) {
  const status = Number(key);
  if (status < 400) continue;
  const text = STATUS_TEXT[key] ?? '';
  STATUS_NAMES.set(
    status,
    text
      .toUpperCase()
      .replace(/'/g, '')
      .replace(/[^A-Z0-9]+/g, '_')
      .replace(/^_+|_+$/g, ''),
  );
}

export function statusTitle(status: number): string {
  return STATUS_TEXT[status] ?? (status < 500 ? 'Client Error' : 'Server Error');
}

function statusCodeName(status: number): string {
  return STATUS_NAMES.get(status) ?? (status < 500 ? 'CLIENT_ERROR' : 'SERVER_ERROR');
}

function isErrorStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599;
}

function isError(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

/** Wraps a thrown non-Error value in an Error that keeps its status-like properties, so listeners get an Error. */
export function toError(thrown: unknown): Error {
  if (isError(thrown)) return thrown;
  // its contents are never put in the message: a thrown object may hold tokens or internals
  const message = read(thrown, 'message');
  const hasMessage = typeof message === 'string' && message !== '';
  const err = new Error(hasMessage ? message : `non-error thrown (${typeof thrown})`) as Error &
    Record<string, unknown>;
  if (!hasMessage) WITHOUT_MESSAGE.add(err);
  for (const key of ['status', 'statusCode', 'expose', 'code', 'headers', 'extensions']) {
    const value = read(thrown, key);
    if (value !== undefined) err[key] = value;
  }
  Object.defineProperty(err, 'cause', { value: thrown, enumerable: false, configurable: true, writable: true });
  return err;
}

function errorHeaders(err: Error, status: number, ctx: Context): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const headers = read(err, 'headers');
  let hasAllow = false;
  if (headers !== null && typeof headers === 'object') {
    for (const name of ownKeys(headers)) {
      const lower = name.toLowerCase();
      if (lower === 'content-type' || lower === 'content-length') continue;
      let value = read(headers, name);
      if (typeof value === 'number') value = String(value);
      if (typeof value !== 'string' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) continue;
      try {
        validateHeaderName(name);
        validateHeaderValue(name, value as string);
      } catch {
        continue; // a header Node would refuse to send is dropped rather than breaking the response
      }
      out[name] = value as string | string[];
      if (lower === 'allow') hasAllow = true;
    }
  }
  if (!hasAllow && (status === 405 || status === 501)) {
    const allow = deriveAllow(ctx);
    if (allow !== undefined) out.Allow = allow;
  }
  return out;
}

/** Only what the thrower published on purpose, in `err.extensions`; never other properties. */
function extensionsOf(err: Error, maxString: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const published = read(err, 'extensions');
  if (published === null || typeof published !== 'object' || Array.isArray(published)) return out;
  let any = false;
  for (const key of ownKeys(published)) {
    if (STANDARD_MEMBERS.has(key)) continue;
    const value = jsonSafe(read(published, key), maxString);
    if (value === undefined) continue;
    out[key] = value;
    any = true;
  }
  if (!any) return out;
  let size = Number.POSITIVE_INFINITY;
  try {
    size = JSON.stringify(out).length;
  } catch {
    // unreachable with jsonSafe output, but never let rendering fail
  }
  return size <= MAX_EXTENSIONS_JSON ? out : {};
}

/** The request path as a valid URI reference: characters a URI cannot hold are percent-encoded. */
function asUriPath(path: string): string {
  const encoded = path.replace(NOT_PATH_CHARACTER, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD
    }
  });
  return encoded.startsWith('//') ? `/.${encoded}` : encoded;
}

/** Normalizes anything thrown into a Problem; reads every property defensively. */
export function toProblem(
  ctx: Context,
  err: Error,
  withStack: boolean,
  maxMessageLength: number,
  forcedStatus?: number,
): Problem {
  const rawStatus = read(err, 'status');
  const rawStatusCode = read(err, 'statusCode');
  const status =
    forcedStatus ?? (isErrorStatus(rawStatus) ? rawStatus : isErrorStatus(rawStatusCode) ? rawStatusCode : 500);
  const rawExpose = read(err, 'expose');
  const expose = typeof rawExpose === 'boolean' ? rawExpose : status < 500;
  const rawTitle = expose ? read(err, 'title') : undefined;
  const title =
    typeof rawTitle === 'string' && rawTitle !== '' ? truncate(rawTitle, maxMessageLength) : statusTitle(status);

  let detail = statusTitle(status);
  if (expose && !WITHOUT_MESSAGE.has(err)) {
    const message = read(err, 'message');
    if (typeof message === 'string' && message !== '') detail = truncate(message, maxMessageLength);
  }

  const rawCode = read(err, 'code');
  const code =
    typeof rawCode === 'string' && CODE_PATTERN.test(rawCode) && (expose || createError.isHttpError(err))
      ? rawCode
      : statusCodeName(status);

  const rawEnvelope = read(err, 'envelopeCode');
  const envelopeCode =
    typeof rawEnvelope === 'number' && Number.isInteger(rawEnvelope) && rawEnvelope >= 100 && rawEnvelope <= 9999
      ? rawEnvelope
      : status;

  const rawType = read(err, 'type');
  const type =
    expose && typeof rawType === 'string' && rawType.length <= 2048 && URI_REFERENCE.test(rawType)
      ? rawType
      : 'about:blank';

  const problem: Problem = {
    status,
    title,
    detail,
    code,
    envelopeCode,
    type,
    instance: asUriPath(ctx.path),
    extensions: expose ? extensionsOf(err, maxMessageLength) : {},
    headers: errorHeaders(err, status, ctx),
    expose,
    error: err,
  };
  if (withStack) {
    const stack = read(err, 'stack');
    if (typeof stack === 'string') problem.stack = truncate(stack, MAX_STACK_LENGTH);
  }
  return problem;
}
