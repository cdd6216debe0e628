import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** A default id longer than this (only possible with a hostile X-Forwarded-For) is cut to this many characters. */
export const MAX_ID_LENGTH = 256;

function cut(value: string): string {
  return value.length > MAX_ID_LENGTH ? value.slice(0, MAX_ID_LENGTH) : value;
}

/**
 * An id from a custom `id()` longer than MAX_ID_LENGTH (a client-chosen API key, say) is stored as
 * its SHA-256: distinct keys stay distinct, and no client can make one stored id cost kilobytes.
 */
export function boundedId(id: string): string {
  return id.length > MAX_ID_LENGTH ? `sha256:${createHash('sha256').update(id).digest('base64url')}` : id;
}

const DOT = 46;
const ZERO = 48;
const NINE = 57;

/**
 * `net.isIPv4(text.slice(start))` without the slice and the regex, for the per-request fast path:
 * four decimal parts 0-255 joined by dots, no leading zeros.
 */
export function isIPv4From(text: string, start: number): boolean {
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= text.length; i++) {
    const c = i === text.length ? DOT : text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || ++parts > 4) return false;
      value = 0;
      digits = 0;
    } else {
      if (c < ZERO || c > NINE || (digits > 0 && value === 0)) return false;
      value = value * 10 + (c - ZERO);
      if (value > 255) return false;
      digits++;
    }
  }
  return parts === 4;
}

/** True when `text` from `start` to its end is a port: 1 to 5 decimal digits. */
function isPortFrom(text: string, start: number): boolean {
  const length = text.length - start;
  if (length < 1 || length > 5) return false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

/**
 * The address of a forwarded entry that carries a port, as some proxies append one
 * (`1.2.3.4:5678`, `[2001:db8::1]:443`, `[2001:db8::1]`); any other value unchanged.
 */
export function withoutPort(ip: string): string {
  if (ip.charCodeAt(0) === 91 /* [ */) {
    const close = ip.indexOf(']');
    if (close > 1 && (close === ip.length - 1 || (ip.charCodeAt(close + 1) === 58 && isPortFrom(ip, close + 2)))) {
      const inner = ip.slice(1, close);
      return isIPv6(inner.split('%')[0]!) ? inner : ip;
    }
    return ip;
  }
  const colon = ip.indexOf(':');
  if (colon > 0 && ip.indexOf(':', colon + 1) === -1 && isPortFrom(ip, colon + 1)) {
    const host = ip.slice(0, colon);
    return isIPv4(host) ? host : ip;
  }
  return ip;
}

/** The eight 16-bit groups of a valid IPv6 address (without zone), embedded IPv4 tail included. */
function ipv6Groups(addr: string): number[] {
  let text = addr;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    const [a = 0, b = 0, c = 0, d = 0] = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const zeros = 8 - head.length - rest.length - tail.length;
  const groups = head.map((h) => Number.parseInt(h, 16));
  for (let i = 0; i < zeros; i++) groups.push(0);
  for (const h of rest) groups.push(Number.parseInt(h, 16));
  groups.push(...tail);
  return groups;
}

/**
 * The key a client address is limited under: IPv4 as is; an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`,
 * in either notation) as its IPv4 address; any other IPv6 address as its `/subnet` prefix (all the
 * addresses of one /64 share one key), or the full canonical address when `subnet` is false. A value
 * that is not an IP address (only a trusted proxy can produce one) is used as is, cut to 256 characters.
 */
export function clientKey(ip: string, subnet: number | false): string {
  if (ip.indexOf(':') === -1) return cut(ip);
  // Fast path: an IPv4 client of a dual-stack server (Koa's default listen) shows as ::ffff:a.b.c.d.
  if (ip.startsWith('::ffff:') && isIPv4From(ip, 7)) return ip.slice(7);
  const bare = withoutPort(ip);
  if (bare !== ip) return clientKey(bare, subnet);
  const zone = ip.indexOf('%');
  const addr = zone === -1 ? ip : ip.slice(0, zone);
  if (!isIPv6(addr)) return cut(ip);
  const groups = ipv6Groups(addr.toLowerCase());
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0) {
    if (groups[5] === 0xffff) {
      const hi = groups[6]!;
      const lo = groups[7]!;
      const v4 = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
      if (isIPv4(v4)) return v4;
    }
  }
  const bits = subnet === false ? 128 : subnet;
  const out: string[] = [];
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    out.push((groups[i]! & mask).toString(16));
  }
  return bits === 128 ? out.join(':') : `${out.join(':')}/${bits}`;
}
