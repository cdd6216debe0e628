/** Escapes a value for an HTTP quoted-string (RFC 9110 section 5.6.4). */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** True when every character is printable ASCII: a realm that can travel in a challenge header. */
export function isPrintableAscii(value: string): boolean {
  return PRINTABLE_ASCII.test(value);
}
