/** The media types errors() can answer with, in order of preference when the client has none. */
export const OFFERS = ['application/problem+json', 'application/json', 'text/html', 'text/plain'] as const;
export type Offer = (typeof OFFERS)[number];

interface Range {
  type: string;
  subtype: string;
  q: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
/** Longer headers are not worth reading for an error page: treated as missing. */
const MAX_ACCEPT_LENGTH = 4096;

/**
 * Parses an Accept header (RFC 9110 §12.5.1). Parameters other than `q` (charset, version, ...)
 * are ignored, as they never decide between our offers; a header that does not parse is undefined.
 */
function parseAccept(header: string): Range[] | undefined {
  if (header.length > MAX_ACCEPT_LENGTH) return undefined;
  const ranges: Range[] = [];
  for (const part of header.split(',')) {
    if (part.trim() === '') continue; // empty list elements are allowed (RFC 9110 §5.6.1)
    const [mediaRange = '', ...params] = part.split(';');
    const slash = mediaRange.indexOf('/');
    const type = mediaRange.slice(0, slash).trim().toLowerCase();
    const subtype = mediaRange
      .slice(slash + 1)
      .trim()
      .toLowerCase();
    if (slash === -1 || !TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) {
      return undefined;
    }
    let q = 1;
    for (const param of params) {
      const eq = param.indexOf('=');
      const name = param.slice(0, eq).trim().toLowerCase();
      const value = param.slice(eq + 1).trim();
      if (eq === -1 || !TOKEN.test(name) || value === '') return undefined;
      if (name === 'q') {
        if (!QVALUE.test(value)) return undefined;
        q = Number(value);
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges.length > 0 ? ranges : undefined;
}

/** The q of the most specific range that matches an offer, or undefined when none does. */
function qualityOf(offer: string, ranges: Range[]): number | undefined {
  const slash = offer.indexOf('/');
  const type = offer.slice(0, slash);
  const subtype = offer.slice(slash + 1);
  let best = -1;
  let q: number | undefined;
  for (const range of ranges) {
    let specificity: number;
    if (range.type === type && range.subtype === subtype) specificity = 2;
    else if (range.type === type && range.subtype === '*') specificity = 1;
    else if (range.type === '*') specificity = 0;
    else continue;
    if (specificity > best) {
      best = specificity;
      q = range.q;
    }
  }
  return q;
}

/**
 * The offer the client prefers: the highest q, ties broken by OFFERS order; `null` when the header
 * is missing or malformed (the caller's default), `false` when it refuses every offer.
 */
export function preferredOffer(header: string | undefined): Offer | null | false {
  if (header === undefined || header.trim() === '') return null;
  const ranges = parseAccept(header);
  if (ranges === undefined) return null;
  let chosen: Offer | false = false;
  let chosenQ = 0;
  for (const offer of OFFERS) {
    const q = qualityOf(offer, ranges);
    if (q !== undefined && q > chosenQ) {
      chosen = offer;
      chosenQ = q;
    }
  }
  return chosen;
}
