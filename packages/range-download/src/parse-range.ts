/** One byte range, both ends inclusive, within the representation. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a `Range` header asks for, against a representation of a known size. */
export type RangeRequest =
  | { kind: 'ignore' } // absent, syntactically invalid, another unit, or too many ranges: send 200
  | { kind: 'unsatisfiable' } // valid, but no range overlaps the representation: 416
  | { kind: 'ranges'; ranges: ByteRange[] }; // sorted, overlapping and adjacent ranges coalesced

const IGNORE: RangeRequest = { kind: 'ignore' };
const UNSATISFIABLE: RangeRequest = { kind: 'unsatisfiable' };
const RANGE_SPEC = /^[ \t]*(\d*)-(\d*)[ \t]*$/;
const OWS_ONLY = /^[ \t]*$/;

/**
 * Parses `Range: bytes=...` per RFC 9110 14.1.1-14.2. Unlike range-parser 1.2, a header that does
 * not match the grammar (`bytes=abc`, `bytes=5-1`) is ignored rather than called unsatisfiable.
 * More than `maxRanges` range-specs is also ignored (the whole representation is sent), so a
 * request cannot make the server seek thousands of times.
 */
export function parseRange(header: string, size: number, maxRanges: number): RangeRequest {
  const eq = header.indexOf('=');
  if (eq <= 0) return IGNORE;
  if (header.slice(0, eq).toLowerCase() !== 'bytes') return IGNORE;
  const specs = header.slice(eq + 1).split(',');
  const ranges: ByteRange[] = [];
  let count = 0;
  for (const spec of specs) {
    if (OWS_ONLY.test(spec)) continue; // empty list elements are allowed (RFC 9110 5.6.1)
    if (++count > maxRanges) return IGNORE;
    const m = RANGE_SPEC.exec(spec); // digits only, optional whitespace (SP, HTAB) around
    if (!m) return IGNORE;
    const first = m[1]!;
    const last = m[2]!;
    if (first === '') {
      if (last === '') return IGNORE;
      const suffix = Number(last);
      if (suffix === 0) continue; // unsatisfiable spec
      ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(first);
    const end = last === '' ? size - 1 : Number(last);
    if (last !== '' && end < start) return IGNORE; // invalid range-spec
    if (start >= size) continue; // unsatisfiable spec
    ranges.push({ start, end: Math.min(end, size - 1) });
  }
  if (count === 0) return IGNORE;
  if (ranges.length === 0) return UNSATISFIABLE;
  return { kind: 'ranges', ranges: coalesce(ranges) };
}

/** Sorts and merges ranges that overlap or touch. */
export function coalesce(ranges: ByteRange[]): ByteRange[] {
  if (ranges.length === 1) return ranges;
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [{ ...sorted[0]! }];
  for (let i = 1; i < sorted.length; i++) {
    const r = sorted[i]!;
    const last = out[out.length - 1]!;
    if (r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/**
 * `If-Range` (RFC 9110 13.1.5): an entity-tag must match the response's ETag by strong
 * comparison (a weak tag on either side never matches); a date must equal Last-Modified exactly.
 */
export function ifRangeMatches(value: string, etag: string | undefined, lastModified: string | undefined): boolean {
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith('W/')) {
    if (v.startsWith('W/') || !etag || etag.startsWith('W/')) return false;
    return v === etag.trim();
  }
  if (!lastModified) return false;
  const given = Date.parse(v);
  return !Number.isNaN(given) && given === Date.parse(lastModified);
}
