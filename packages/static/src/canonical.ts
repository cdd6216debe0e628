import path from 'node:path';

/** Why a request path was refused before touching the file system. */
export type PathRefusal = 'MALFORMED_PATH' | 'PATH_TRAVERSAL';

export interface CanonicalPath {
  /** Decoded path segments, none empty, none `.` or `..`, no separators, no NUL. */
  segments: string[];
  /** The URL path ended with `/` (a directory was asked for). */
  trailingSlash: boolean;
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
  return { segments, trailingSlash: decoded.endsWith('/') };
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
