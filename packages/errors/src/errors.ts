import { ENVELOPE_STATE } from '@koa-kit/common';
import createError from 'http-errors';
import type { Context, Middleware, Next } from 'koa';
import { settleRequestBody } from './drain.js';
import { read } from './json-safe.js';
import { type ErrorsOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { type Problem, toError, toProblem } from './problem.js';
import { envelopeStyle, negotiate, type Rendered, renderEnvelope, renderNegotiated, TEXT_TYPE } from './render.js';
import { isBodyStream, settleStream } from './stream.js';

/** Headers that describe the body that failed; they never reach the error response. */
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-disposition',
  'content-range',
  'content-encoding',
  'content-language',
  'content-location',
  'etag',
  'last-modified',
  'accept-ranges',
  'transfer-encoding',
  'expires',
  'cache-control',
];

/** Per request, the errors already emitted: one error is never emitted twice (in the chain, then late). */
const EMITTED = Symbol('koa-kit.errors.emitted');

function emit(ctx: Context, err: Error, status: number, options: ResolvedOptions): void {
  if (status < 500 && !options.emitClientErrors) return;
  const holder = ctx as unknown as { [EMITTED]?: Error[] };
  const seen = holder[EMITTED];
  if (seen === undefined) holder[EMITTED] = [err];
  else if (seen.includes(err)) return;
  else seen.push(err);
  ctx.app.emit('error', err, ctx);
}

/** As Koa's own ctx.onerror does (koajs/koa#919): listeners learn that nothing could be rendered. */
function markHeaderSent(err: Error): void {
  try {
    (err as Error & { headerSent?: boolean }).headerSent = true;
  } catch {
    // a frozen error stays as it is
  }
}

/** The response after the headers left: nothing more can be said, so cut it without a second write. */
function abandon(ctx: Context): void {
  ctx.respond = false;
  const res = ctx.res;
  if (!res.writableEnded && !res.destroyed) res.destroy();
}

function render(ctx: Context, problem: Problem, options: ResolvedOptions): Rendered | undefined {
  const format = options.format;
  if (format === 'envelope') return renderEnvelope(problem, envelopeStyle(ctx.state));
  if (format === 'auto') {
    ctx.vary('Accept');
    return renderNegotiated(negotiate(ctx), problem);
  }
  format(ctx, problem);
  return undefined;
}

/**
 * Turns a failure into the response: headers of the failed body removed, the error's headers set,
 * status and body rendered. `late` is for failures after the middleware chain (Koa's respond()),
 * where errors() writes the response itself.
 */
function handle(ctx: Context, thrown: unknown, options: ResolvedOptions, late: boolean): void {
  const err = toError(thrown);
  if (ctx.headerSent || !ctx.writable) {
    if (ctx.headerSent) markHeaderSent(err);
    const status = toProblem(ctx, err, false, options.maxMessageLength).status;
    emit(ctx, err, status, options);
    abandon(ctx);
    return;
  }
  // not app.env: Koa says 'development' when NODE_ENV is unset, and production servers often leave it unset
  const withStack = options.stack ?? process.env.NODE_ENV === 'development';
  const problem = toProblem(ctx, err, withStack, options.maxMessageLength);
  const res = ctx.res;
  for (const name of BODY_HEADERS) res.removeHeader(name);
  for (const name of Object.keys(problem.headers)) res.setHeader(name, problem.headers[name]!);
  res.setHeader('X-Content-Type-Options', 'nosniff');

  const legacy200 = options.format === 'envelope' && read(ctx.state, ENVELOPE_STATE.httpStatus) === 'always-200';
  ctx.status = legacy200 ? 200 : problem.status;
  let rendered: Rendered | undefined;
  try {
    rendered = render(ctx, problem, options);
  } catch (formatError) {
    // a custom format that throws: plain text, and the formatter's own failure is reported too
    rendered = { type: TEXT_TYPE, body: problem.detail };
    emit(ctx, toError(formatError), 500, options);
  }
  if (rendered !== undefined) {
    if (rendered.type.startsWith('text/html')) res.setHeader('Content-Security-Policy', "default-src 'none'");
    ctx.type = rendered.type;
    ctx.body = rendered.body;
  }
  emit(ctx, err, problem.status, options);
  settleRequestBody(ctx, options.drainLimit);
  // past Koa's respond(), or a handler that took over the response (ctx.respond = false): write it here
  if (late || ctx.respond === false) writeNow(ctx);
}

/** Writes the rendered response directly: used when Koa's respond() is already past. */
function writeNow(ctx: Context): void {
  const res = ctx.res;
  const body: unknown = ctx.body;
  let payload: string | Buffer;
  if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body;
  else if (body == null) payload = '';
  else {
    try {
      payload = JSON.stringify(body) ?? '';
    } catch {
      payload = String(ctx.status);
    }
  }
  ctx.length = Buffer.byteLength(payload);
  if (ctx.method === 'HEAD') res.end();
  else res.end(payload);
}

/** Errors of the connection itself, when the client goes away while the body streams. */
const CONNECTION_CODES = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** A client that disconnected is not a server error: the failure is the socket's, not the body stream's. */
function isClientGone(ctx: Context, thrown: unknown): boolean {
  const code = (thrown as { code?: unknown }).code;
  // HPE_*: Node's HTTP parser refused what the client sent (bytes after `Connection: close`, a bad
  // chunk); Koa passes it on through on-finished as if the response had failed.
  if (typeof code !== 'string' || !(CONNECTION_CODES.has(code) || code.startsWith('HPE_'))) return false;
  const body = ctx.body as { errored?: unknown } | null | undefined;
  return body?.errored !== thrown;
}

/**
 * The one error handler, at the top of the stack: renders anything thrown below it as problem
 * details, HTML, text or the status envelope, and emits 5xx errors once on the app.
 */
export function errors(options?: ErrorsOptions): Middleware {
  const resolved = resolveOptions(options);

  // Koa calls ctx.onerror(err) for failures after the chain (a body that cannot be serialized, a
  // stream that fails while piping). One function per factory; `this` is the context.
  const lateOnError = function onerror(this: Context, thrown: unknown): void {
    if (thrown == null || isClientGone(this, thrown)) return;
    try {
      handle(this, thrown, resolved, true);
    } catch {
      abandon(this);
    }
  };

  return async function errors(ctx: Context, next: Next): Promise<void> {
    ctx.onerror = lateOnError;
    try {
      await next();
      if (ctx.respond === false) return;
      const body: unknown = ctx.body;
      if (body == null) {
        if (resolved.notFound && ctx.status === 404 && !ctx.headerSent) {
          handle(ctx, new createError.NotFound(), resolved, false);
        }
        return;
      }
      if (isBodyStream(body)) {
        const waiting = settleStream(ctx, body);
        if (waiting !== undefined) await waiting;
      }
    } catch (thrown) {
      handle(ctx, thrown, resolved, false);
    }
  };
}
