import type { Context } from 'koa';

/** Returned by `bearer()` when an Authorization header names Bearer but carries no usable token. */
export const MALFORMED_HEADER = Symbol('malformed');

/**
 * Reads `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 section 2.1). Returns
 * undefined for no header or another scheme, MALFORMED_HEADER for `Bearer` without exactly one token.
 */
export function bearer(header: string | undefined): string | typeof MALFORMED_HEADER | undefined {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  if (header.length === 6) return MALFORMED_HEADER;
  const separator = header.charCodeAt(6);
  if (separator === 9) return MALFORMED_HEADER; // "Bearer<TAB>...": RFC 6750 wants one space
  if (separator !== 32) return undefined; // another scheme that merely starts with "bearer"
  const token = header.slice(7).trim();
  if (token === '' || token.includes(' ') || token.includes('\t')) return MALFORMED_HEADER;
  return token;
}

/** A cookie's raw value, unsigned: the JWT signature is what authenticates it. */
export function cookieToken(ctx: Context, name: string): string | undefined {
  const value = ctx.cookies.get(name, { signed: false });
  return value === undefined || value === '' ? undefined : value;
}
