/** The precompressed codings this package looks for, in order of preference on equal quality. */
export type Coding = 'br' | 'gzip';

const MEMO_LIMIT = 64;
const memo = new Map<string, Coding[]>();

/**
 * The codings (`br`, `gzip`) an `Accept-Encoding` header allows, best first. `identity` is
 * always acceptable as a fallback, so it is not listed. Results are memoised (headers repeat).
 */
export function acceptedCodings(header: string | undefined): Coding[] {
  if (!header) return [];
  const hit = memo.get(header);
  if (hit) return hit;
  const result = parse(header);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(header, result);
  return result;
}

function parse(header: string): Coding[] {
  let br: number | undefined;
  let gzip: number | undefined;
  let star: number | undefined;
  for (const item of header.split(',')) {
    const [rawName = '', ...params] = item.split(';');
    const name = rawName.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q)) q = 0;
    if (name === 'br') br = q;
    else if (name === 'gzip' || name === 'x-gzip') gzip = q;
    else if (name === '*') star = q;
  }
  br ??= star;
  gzip ??= star;
  const out: Array<[Coding, number]> = [];
  if (br !== undefined && br > 0) out.push(['br', br]);
  if (gzip !== undefined && gzip > 0) out.push(['gzip', gzip]);
  out.sort((a, b) => b[1] - a[1]);
  return out.map(([c]) => c);
}
