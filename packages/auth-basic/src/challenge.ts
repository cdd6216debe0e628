/** Characters allowed in a realm: printable ASCII (a quoted-string may hold them all once escaped). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Escapes a value for an HTTP quoted-string (RFC 9110 section 5.6.4). */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/** True when the realm can travel in a header; the caller turns false into a TypeError. */
export function isValidRealm(realm: string): boolean {
  return PRINTABLE_ASCII.test(realm);
}

/** `Basic realm="<realm>", charset="UTF-8"` (RFC 7617 section 2.1). */
export function basicChallenge(realm: string): string {
  return `Basic realm=${quote(realm)}, charset="UTF-8"`;
}
