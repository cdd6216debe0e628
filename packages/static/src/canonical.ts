import path from 'node:path';

/** Why a request path was refused before touching the file system. */
export type PathRefusal = 'MALFORMED_PATH' | 'PATH_TRAVERSAL';

export interface CanonicalPath {
  /** Decoded path segments, none empty, none `.` or `..`, no separators, no NUL. */
  segments: string[];
  /** The URL path ended with `/` (a directory was asked for). */
  trailingSlash: boolean;
  /**
   * The request spelled the path exactly as `canonicalSpelling` would: no encoded `/` or `\`, no
   * raw `\`, no empty or `.` segments, no needless or lower-case percent-escapes. Only such a path
   * is served, so a guard mounted before serveStatic sees the one spelling that is served.
   */
  exact: boolean;
}

const WINDOWS_DRIVE = /^[a-zA-Z]:/;

/**
 * Turns the raw (still percent-encoded) URL path into its one canonical form, or says why it
 * cannot be served. Decodes exactly once; every later check and the file read use the result.
 *
 * - malformed percent-encoding, overlong UTF-8 (`%c0%ae`), NUL bytes: MALFORMED_PATH (400)
 * - backslashes are separators (so `..\\` is seen as `..`)
 * - any `..` segment, or a Windows drive/device spelling (`C:`), is PATH_TRAVERSAL (403)
 */
export function canonicalise(rawPath: string): CanonicalPath | PathRefusal {
  let decoded: string;
  if (rawPath.indexOf('%') === -1) {
    decoded = rawPath;
  } else {
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return 'MALFORMED_PATH';
    }
  }
  if (decoded.indexOf('\0') !== -1) return 'MALFORMED_PATH';
  if (decoded.indexOf('\\') !== -1) decoded = decoded.replaceAll('\\', '/');
  const parts = decoded.split('/');
  const segments: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') return 'PATH_TRAVERSAL';
    if (part.indexOf(':') !== -1 && (WINDOWS_DRIVE.test(part) || path.sep === '\\')) return 'PATH_TRAVERSAL';
    segments.push(part);
  }
  const trailingSlash = decoded.endsWith('/');
  return { segments, trailingSlash, exact: isExactSpelling(rawPath) };
}

// RFC 3986 2.3: escaping one of these is never needed, so such an escape is a second spelling.
const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const ESCAPE = /%([0-9A-Fa-f]{2})/g;

/** True when the raw (percent-encoded) path is already in its one canonical spelling. */
function isExactSpelling(rawPath: string): boolean {
  if (rawPath.charCodeAt(0) !== 47 /* / */ || rawPath.indexOf('\\') !== -1) return false;
  // The common case, decided without splitting: nothing escaped, no `//`, no segment starting with `.`.
  if (rawPath.indexOf('%') === -1 && rawPath.indexOf('//') === -1 && rawPath.indexOf('/.') === -1) return true;
  const parts = rawPath.split('/');
  // parts[0] is the empty string before the leading `/`; the last part may be empty (trailing `/`).
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '' && i !== parts.length - 1) return false;
    if (part === '.' || part === '%2E' || part === '%2e') return false;
    if (part.indexOf('%') === -1) continue;
    for (const [sequence, hex] of part.matchAll(ESCAPE)) {
      if (sequence !== sequence.toUpperCase()) return false;
      const char = String.fromCharCode(Number.parseInt(hex!, 16));
      if (char === '/' || char === '\\' || UNRESERVED.test(char)) return false;
    }
  }
  return true;
}

/** The canonical spelling of a path: segments joined by single `/`, escapes only where needed (upper-case). */
export function canonicalSpelling(path: CanonicalPath): string {
  const joined = path.segments.map(encodeSegment).join('/');
  if (joined === '') return '/';
  return `/${joined}${path.trailingSlash ? '/' : ''}`;
}

function encodeSegment(segment: string): string {
  // encodeURIComponent leaves unreserved characters and !'()* raw and escapes the rest in upper case.
  return encodeURIComponent(segment);
}

/** True when a segment names a dotfile or dot-folder (`.env`, `.git`). */
export function hasHiddenSegment(segments: readonly string[]): boolean {
  for (const s of segments) if (s.charCodeAt(0) === 46 /* . */) return true;
  return false;
}

/** True when `target` is `root` itself or lies inside it (both absolute and normalised). */
export function isInside(root: string, target: string): boolean {
  if (target === root) return true;
  const base = root.endsWith(path.sep) ? root : root + path.sep;
  return target.startsWith(base);
}
