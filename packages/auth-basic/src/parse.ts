/** What `parseBasic` found in the header. */
export type ParsedCredentials =
  | { kind: 'missing' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'ok'; name: string; password: string };

const MISSING: ParsedCredentials = { kind: 'missing' };
/** An auth-scheme is an RFC 9110 token. */
const SCHEME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 4648 section 4 alphabet with padding, nothing else. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Control characters are not allowed in a user-id or password (RFC 7617 section 2). */
const CONTROL = /[\x00-\x1f\x7f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(reason: string): ParsedCredentials {
  return { kind: 'malformed', reason };
}

/**
 * Parses an `Authorization` (or `Proxy-Authorization`) value per RFC 7617: the scheme is matched
 * case-insensitively, the base64 must be canonical (padding present, no stray characters, unused
 * bits zero), the decoded bytes must be valid UTF-8 without control characters, and the password is
 * everything after the first colon. Both parts are NFC-normalized.
 */
export function parseBasic(header: string | undefined): ParsedCredentials {
  if (header === undefined || header === '') return MISSING;
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (!SCHEME.test(scheme)) return malformed('not an auth-scheme');
  // Credentials for another scheme are not Basic credentials.
  if (scheme.toLowerCase() !== 'basic') return MISSING;
  if (space === -1) return malformed('no credentials after the scheme');
  const encoded = header.slice(space + 1).trim();
  if (encoded === '') return malformed('no credentials after the scheme');
  if (!BASE64.test(encoded)) return malformed('not base64');
  const bytes = Buffer.from(encoded, 'base64');
  // Unused bits must be zero: a canonical encoding survives the round trip unchanged.
  if (bytes.toString('base64') !== encoded) return malformed('non-canonical base64');
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    return malformed('not UTF-8');
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) return malformed('no colon between user-id and password');
  if (CONTROL.test(decoded)) return malformed('control character');
  return {
    kind: 'ok',
    name: decoded.slice(0, colon).normalize('NFC'),
    password: decoded.slice(colon + 1).normalize('NFC'),
  };
}
