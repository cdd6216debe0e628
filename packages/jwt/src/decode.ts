import { Refusal } from './errors.js';

/** A JOSE header after strict decoding. */
export interface JwtHeader {
  alg: string;
  typ?: string;
  kid?: string;
  [param: string]: unknown;
}

/** A JWT claims set. */
export interface JwtPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  scope?: string | string[];
  scp?: string | string[];
  [claim: string]: unknown;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const SIGNATURE = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MALFORMED = new Refusal('TOKEN_MALFORMED');

function json(segment: string): Record<string, unknown> {
  if (!SEGMENT.test(segment)) throw MALFORMED;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    throw MALFORMED;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw MALFORMED;
  return value as Record<string, unknown>;
}

/**
 * Decodes a compact JWS strictly, before any key is looked up: three segments of base64url,
 * header and payload JSON objects in valid UTF-8, a string `alg`. Throws a TOKEN_MALFORMED Refusal.
 */
export function decode(token: string): { header: JwtHeader; payload: JwtPayload } {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first === -1 || second === -1 || token.indexOf('.', second + 1) !== -1) throw MALFORMED;
  const signature = token.slice(second + 1);
  if (!SIGNATURE.test(signature)) throw MALFORMED;
  // Only the canonical spelling: unused low bits in the last character must be zero, so one
  // signature has one token string (for deny-lists and the verified-token cache).
  if (signature !== '' && Buffer.from(signature, 'base64url').toString('base64url') !== signature) throw MALFORMED;
  const header = json(token.slice(0, first));
  if (typeof header.alg !== 'string') throw MALFORMED;
  const payload = json(token.slice(first + 1, second));
  return { header: header as JwtHeader, payload: payload as JwtPayload };
}
