import type { Context } from 'koa';

/** Returned by `bearer()` when an Authorization header names Bearer but carries no usable token. */
export const MALFORMED_HEADER = Symbol('malformed');

/**
 * Reads `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 section 2.1). Returns
 * undefined for no header or another scheme, MALFORMED_HEADER for `Bearer` without a token.
 */
export function bearer(header: string | undefined): string | typeof MALFORMED_HEADER | undefined {
  if (header === undefined) return undefined;
  // Fast path for the usual spelling; any other case goes through toLowerCase.
  if (header.startsWith('Bearer ') && header.length > 7) return header.slice(7).trim() || MALFORMED_HEADER;
  if (header.length < 6 || header.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  if (header.length === 6) return MALFORMED_HEADER;
  const separator = header.charCodeAt(6);
  if (separator === 9) return MALFORMED_HEADER; // "Bearer<TAB>...": RFC 6750 wants one space
  if (separator !== 32) return undefined; // another scheme that merely starts with "bearer"
  const token = header.slice(7).trim();
  // Inner whitespace ("Bearer a b") is left to the strict decoder, which refuses it as
  // TOKEN_MALFORMED: a cache hit (the common case) then costs no scan of the token.
  return token === '' ? MALFORMED_HEADER : token;
}

/** A cookie's raw value, unsigned: the JWT signature is what authenticates it. */
export function cookieToken(ctx: Context, name: string): string | undefined {
  const value = ctx.cookies.get(name, { signed: false });
  return value === undefined || value === '' ? undefined : value;
}
