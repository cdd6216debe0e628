import createError, { type HttpError } from 'http-errors';

/** An exposed (4xx) or hidden (5xx) HttpError with a stable `code` and the headers the client needs. */
export function httpError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
  cause?: unknown,
): HttpError {
  const err = createError(status, message, { code, expose: status < 500 });
  if (headers && Object.keys(headers).length > 0) err.headers = headers;
  if (cause !== undefined) (err as { cause?: unknown }).cause = cause;
  return err;
}

export function isHttpError(err: unknown): err is HttpError {
  return createError.isHttpError(err);
}

/** The code of a request that could not get its upload's lock in time. */
export const LOCK_TIMEOUT_CODE = 'UPLOAD_LOCK_TIMEOUT';

/**
 * What a locker's `lock()` throws when another request keeps the upload's lock past the wait, and
 * what the client gets: 423 Locked with `Retry-After`. Not a 500: a client holding a lock is not a
 * server fault, and tus-js-client and Uppy retry a 423 while keeping the upload's URL (on another
 * 4xx answer to HEAD they forget it and start over). `resumableUpload()` adds `Tus-Resumable` and
 * the CORS headers.
 */
export function lockTimeoutError(headers: Record<string, string> = {}): HttpError {
  return httpError(423, LOCK_TIMEOUT_CODE, 'Upload is locked by another request', {
    ...headers,
    'Retry-After': '1',
  });
}

/** The code of a request whose locker could not be reached (Redis down, the locker closed). */
export const LOCKER_UNAVAILABLE_CODE = 'UPLOAD_LOCKER_UNAVAILABLE';

/**
 * What `redisLocker()`'s `lock()` throws when Redis cannot be reached, and what the client gets:
 * 503 with `Retry-After`, as sessions and rate limits answer when their store is down. Exposed,
 * with the generic status text, so that an error handler does not log one stack per request: the
 * outage is reported once on the app by `resumableUpload()` (`UPLOAD_LOCKER_ERROR`, why on `cause`).
 */
export function lockerUnavailableError(cause: unknown): HttpError {
  const err = httpError(503, LOCKER_UNAVAILABLE_CODE, 'Service Unavailable', { 'Retry-After': '1' }, cause);
  err.expose = true;
  return err;
}
