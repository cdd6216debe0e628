/**
 * Strong ETag derived from the file's size, modification time and change time (microseconds),
 * never from its content, so nothing is read to compute it. ctime is there because `cp -p` and
 * `rsync -t` copy mtime: a new file of the same size would otherwise keep the old tag. The kernel
 * sets ctime itself on every write or metadata change, so it cannot be copied back.
 */
export function fileEtag(size: number, mtimeMs: number, ctimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs * 1000).toString(16)}-${Math.floor(ctimeMs * 1000).toString(16)}"`;
}

/** Weak comparison of an `If-None-Match` list against one ETag (RFC 9110 13.1.2). */
export function noneMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  for (const raw of header.split(',')) {
    let tag = raw.trim();
    if (tag.startsWith('W/')) tag = tag.slice(2);
    if (tag === opaque) return true;
  }
  return false;
}

/**
 * True when the client's cached copy is current, judged by the validators the response carries
 * (`undefined`: not sent, so never matched except by `*`): `If-None-Match` wins when present
 * (RFC 9110 13.2.2), otherwise `If-Modified-Since` against the mtime in whole seconds.
 */
export function isNotModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  etag: string | undefined,
  mtimeMs: number | undefined,
): boolean {
  if (ifNoneMatch) return etag === undefined ? ifNoneMatch.trim() === '*' : noneMatch(ifNoneMatch, etag);
  if (ifModifiedSince && mtimeMs !== undefined) {
    const since = Date.parse(ifModifiedSince);
    if (Number.isNaN(since)) return false;
    return Math.floor(mtimeMs / 1000) * 1000 <= since;
  }
  return false;
}

/** Strong comparison of an `If-Match` list against one ETag (RFC 9110 13.1.1): a weak tag never matches. */
export function anyMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  if (etag.startsWith('W/')) return false;
  for (const raw of header.split(',')) if (raw.trim() === etag) return true;
  return false;
}

/**
 * True when a state-checking precondition fails, so the answer is 412 (RFC 9110 13.2.2, steps 1
 * and 2): `If-Match` when present, otherwise a valid `If-Unmodified-Since` older than the mtime.
 */
export function isPreconditionFailed(
  ifMatch: string | undefined,
  ifUnmodifiedSince: string | undefined,
  etag: string | undefined,
  mtimeMs: number | undefined,
): boolean {
  if (ifMatch) return etag === undefined ? ifMatch.trim() !== '*' : !anyMatch(ifMatch, etag);
  if (ifUnmodifiedSince && mtimeMs !== undefined) {
    const since = Date.parse(ifUnmodifiedSince);
    if (Number.isNaN(since)) return false;
    return Math.floor(mtimeMs / 1000) * 1000 > since;
  }
  return false;
}
