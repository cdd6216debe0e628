import createError, { type HttpError } from 'http-errors';

/** Stable error codes this package throws; see the README's "Errors" table. */
export const SESSION_ERROR_CODES = {
  /** 503: the session store failed or did not answer within `storeTimeout`. */
  STORE_UNAVAILABLE: 'SESSION_STORE_UNAVAILABLE',
  /** 500: the encrypted cookie would exceed the browser's 4096-byte cookie limit. */
  TOO_LARGE: 'SESSION_TOO_LARGE',
  /** 500: the session holds a value JSON cannot encode (a cycle, a BigInt). */
  NOT_SERIALIZABLE: 'SESSION_NOT_SERIALIZABLE',
  /** 500: no keys (neither `options.keys` nor `app.keys`), or two session() middlewares on one app. */
  MISCONFIGURED: 'SESSION_MISCONFIGURED',
  /** 409: the store refused the write: the session was destroyed, or (conflicts: 'refuse') changed, since it was read. */
  CONFLICT: 'SESSION_CONFLICT',
} as const;

export function conflict(): HttpError {
  return createError(409, 'Session changed or ended since this request read it', {
    code: SESSION_ERROR_CODES.CONFLICT,
    expose: true,
  });
}

export function storeUnavailable(cause: unknown): HttpError {
  return createError(503, 'Session store unavailable', {
    code: SESSION_ERROR_CODES.STORE_UNAVAILABLE,
    expose: false,
    cause,
  });
}

export function tooLarge(size: number, limit: number): HttpError {
  return createError(500, `Session cookie of ${size} bytes exceeds the ${limit}-byte limit`, {
    code: SESSION_ERROR_CODES.TOO_LARGE,
    expose: false,
  });
}

export function notSerializable(cause: unknown): HttpError {
  return createError(500, 'Session data is not JSON-serializable', {
    code: SESSION_ERROR_CODES.NOT_SERIALIZABLE,
    expose: false,
    cause,
  });
}

export function misconfigured(message: string): HttpError {
  return createError(500, message, { code: SESSION_ERROR_CODES.MISCONFIGURED, expose: false });
}

/** An HttpError from this package (or any http-errors error) passes through store wrappers untouched. */
export function isHttpError(err: unknown): err is HttpError {
  return err instanceof Error && typeof (err as { status?: unknown }).status === 'number' && 'expose' in err;
}
