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
