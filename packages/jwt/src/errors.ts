import { quote } from '@koa-kit/common';
import createError, { type HttpError } from 'http-errors';

/** Every code `jwt()` and `requireScope()` refuse with, and the text sent with it. */
export const TOKEN_ERRORS = {
  TOKEN_MISSING: 'No bearer token was sent',
  TOKEN_MALFORMED: 'The token is not a well-formed JWT',
  TOKEN_ALGORITHM_NOT_ALLOWED: 'The token algorithm is not allowed for this key',
  TOKEN_SIGNATURE_INVALID: 'The token signature is invalid',
  TOKEN_EXPIRED: 'The token has expired',
  TOKEN_NOT_YET_VALID: 'The token is not valid yet',
  TOKEN_AUDIENCE_INVALID: 'The token audience is not accepted',
  TOKEN_ISSUER_INVALID: 'The token issuer is not accepted',
  TOKEN_SUBJECT_INVALID: 'The token subject is not accepted',
  TOKEN_CLAIM_INVALID: 'A token claim has an invalid value',
  TOKEN_KEY_UNKNOWN: 'The token key is unknown',
  TOKEN_REVOKED: 'The token has been revoked',
  TOKEN_INVALID: 'The token is invalid',
} as const;
export type TokenErrorCode = keyof typeof TOKEN_ERRORS;

/** Server-side failures: 500 (503 for JWKS_UNAVAILABLE), `expose: false`, the cause on `err.cause` for your logs. */
export const SERVER_ERRORS = {
  JWT_KEY_RESOLVER_FAILED: 'The key resolver failed',
  JWT_KEY_INVALID: 'The key resolver returned an unusable key',
  JWT_REVOCATION_CHECK_FAILED: 'The revocation check failed',
  /** 503 from `jwks()`: the key set could not be fetched and no earlier copy exists. */
  JWKS_UNAVAILABLE: 'The key set is unavailable',
} as const;
export type ServerErrorCode = keyof typeof SERVER_ERRORS;

/** A refusal decided during verification; turned into an HttpError unless `passthrough` is on. */
export class Refusal {
  constructor(
    readonly code: TokenErrorCode,
    /** What jsonwebtoken (or the resolver) reported, for `err.cause`. */
    readonly cause?: unknown,
  ) {}
}

/**
 * Builds the RFC 6750 challenges of one realm once: `Bearer realm="..."` for a missing token (no
 * error attribute, section 3.1) and `..., error="invalid_token", error_description="..."` for the rest.
 */
export function challenges(realm: string): Record<TokenErrorCode, string> {
  const base = `Bearer realm=${quote(realm)}`;
  const out = {} as Record<TokenErrorCode, string>;
  for (const [code, text] of Object.entries(TOKEN_ERRORS) as [TokenErrorCode, string][]) {
    out[code] = code === 'TOKEN_MISSING' ? base : `${base}, error="invalid_token", error_description=${quote(text)}`;
  }
  return out;
}

export function tokenError(code: TokenErrorCode, challenge: string, cause?: unknown): HttpError {
  const err = createError(401, TOKEN_ERRORS[code], { code, headers: { 'WWW-Authenticate': challenge } });
  // Not enumerable: a renderer that copies an error's own properties must not send it to the client.
  if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause, configurable: true, writable: true });
  return err;
}

export function serverError(code: Exclude<ServerErrorCode, 'JWKS_UNAVAILABLE'>, cause: unknown): HttpError {
  return createError(500, SERVER_ERRORS[code], { code, expose: false, cause });
}
