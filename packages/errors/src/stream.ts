import createError from 'http-errors';
import type { Context } from 'koa';

interface BodyStream extends NodeJS.EventEmitter {
  pipe: unknown;
  pending?: boolean;
  destroyed?: boolean;
  errored?: unknown;
  readable?: boolean;
  readableLength?: number;
  readableEnded?: boolean;
  readableFlowing?: boolean | null;
  readableDidRead?: boolean;
}

/** fs error codes that mean "the file is not there" (as pillarjs/send maps them). */
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);

export function isBodyStream(body: unknown): body is BodyStream {
  return (
    body !== null &&
    typeof body === 'object' &&
    typeof (body as BodyStream).pipe === 'function' &&
    typeof (body as BodyStream).once === 'function'
  );
}

/**
 * A body stream's failure as the error to render: an HttpError it carries stays as is; a missing
 * file becomes 404 NOT_FOUND; anything else 500 BODY_STREAM_ERROR. Both hide the fs message
 * (expose false) and keep the original as a non-enumerable `cause`.
 */
export function wrapStreamError(err: unknown): Error {
  if (createError.isHttpError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const missing = typeof code === 'string' && MISSING.has(code);
  const wrapped = missing
    ? createError(404, 'Not Found', { expose: false, code: 'NOT_FOUND' })
    : createError(500, 'Internal Server Error', { expose: false, code: 'BODY_STREAM_ERROR' });
  Object.defineProperty(wrapped, 'cause', { value: err, enumerable: false, configurable: true, writable: true });
  return wrapped;
}

/**
 * Koa 3 pipes a stream body with stream.pipeline, which destroys the response on a stream error
 * before ctx.onerror can render anything. So before the response leaves the middleware chain, wait
 * until the stream has data to give (or, for HEAD, until an fs stream has opened its file): an early
 * failure, such as a file that cannot be opened, then rejects here while no header is sent.
 * Resolves at once when there is nothing to wait for, and when the client goes away.
 */
export function settleStream(ctx: Context, stream: BodyStream): Promise<void> | undefined {
  if (stream.errored) return Promise.reject(wrapStreamError(stream.errored));
  if (stream.destroyed) {
    if (stream.readableEnded) return undefined;
    return Promise.reject(
      createError(500, 'body stream destroyed before it was sent', { expose: false, code: 'BODY_STREAM_ERROR' }),
    );
  }
  const head = ctx.method === 'HEAD';
  let event: 'ready' | 'readable';
  if (head) {
    if (stream.pending !== true) return undefined;
    event = 'ready';
  } else {
    if (stream.readable === false || stream.readableFlowing === true || stream.readableDidRead === true)
      return undefined;
    if ((stream.readableLength ?? 0) > 0 || stream.readableEnded) return undefined;
    event = 'readable';
  }
  const res = ctx.res;
  return new Promise<void>((resolve, reject) => {
    const done = (err?: unknown) => {
      stream.removeListener(event, onReady);
      stream.removeListener('error', onError);
      stream.removeListener('end', onReady);
      stream.removeListener('close', onClose);
      res.removeListener('close', onReady);
      if (err === undefined) resolve();
      else reject(wrapStreamError(err));
    };
    const onReady = () => done();
    const onError = (err: unknown) => done(err ?? new Error('body stream failed'));
    const onClose = () =>
      done(stream.errored ?? (stream.readableEnded ? undefined : new Error('body stream closed before it was sent')));
    stream.once(event, onReady);
    stream.once('error', onError);
    stream.once('end', onReady);
    stream.once('close', onClose);
    res.once('close', onReady);
  });
}
