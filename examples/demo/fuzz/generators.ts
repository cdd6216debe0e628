// Seeded generators of hostile requests for the demo's stack. Everything here is deterministic
// for a given seed, so a failing case can be replayed with FUZZ_SEED.

export type Random = () => number;

/** mulberry32: a small, fast, seedable PRNG (not for secrets). */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rnd: Random, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
const int = (rnd: Random, max: number) => Math.floor(rnd() * max);

function junk(rnd: Random, max: number, alphabet?: string): string {
  const length = int(rnd, max);
  let out = '';
  for (let i = 0; i < length; i++) {
    out += alphabet ? alphabet[int(rnd, alphabet.length)] : String.fromCharCode(0x20 + int(rnd, 0x5f));
  }
  return out;
}

/** Flip, drop, duplicate or insert characters of a valid value. */
export function mutate(rnd: Random, value: string): string {
  const chars = [...value];
  const edits = 1 + int(rnd, 4);
  for (let i = 0; i < edits && chars.length > 0; i++) {
    const at = int(rnd, chars.length);
    switch (int(rnd, 5)) {
      case 0:
        chars.splice(at, 1);
        break;
      case 1:
        chars.splice(at, 0, String.fromCharCode(0x21 + int(rnd, 0x5d)));
        break;
      case 2:
        chars[at] = pick(rnd, ['%', '.', '/', '\\', '=', ',', '-', ';', ' ', 'A', '0']);
        break;
      case 3:
        chars.splice(at, 0, ...chars.slice(at, at + int(rnd, 20)));
        break;
      default:
        chars.length = at;
    }
  }
  return chars.join('');
}

export const METHODS = [
  'GET',
  'GET',
  'GET',
  'POST',
  'POST',
  'HEAD',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'PROPFIND',
  'TRACE',
];
// CONNECT is left out: Node's http server answers it through its 'connect' event, before Koa.

/** Methods the demo implements somewhere; for any other, 501 Not Implemented is the right answer. */
export const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const BASE_PATHS = [
  '/',
  '/index.html',
  '/assets/app.js',
  '/assets/style.css',
  '/assets/vendor/tus.min.js',
  '/api/login',
  '/api/logout',
  '/api/me',
  '/api/visits',
  '/api/files',
  '/api/form-uploads',
  '/api/uploads',
  '/api/uploads/0123456789abcdef',
  '/downloads/fuzz.bin',
  '/downloads/报告.txt',
];

const HOSTILE_SEGMENTS = [
  '..',
  '%2e%2e',
  '..%2f',
  '%2e%2e%2f',
  '..%5c',
  '%252e%252e',
  '%c0%ae%c0%ae',
  '%00',
  '.env',
  '.git/config',
  '%',
  '%zz',
  '//',
  '\\..\\',
  'C:%5cWindows',
  '%ff%fe',
  'a'.repeat(300),
  '%e6%8a%a5%e5%91%8a',
];

export function fuzzPath(rnd: Random): string {
  const base = pick(rnd, BASE_PATHS);
  switch (int(rnd, 5)) {
    case 0:
      return base;
    case 1:
      return `${base}/${Array.from({ length: 1 + int(rnd, 4) }, () => pick(rnd, HOSTILE_SEGMENTS)).join('/')}`;
    case 2:
      return `/${Array.from({ length: 1 + int(rnd, 5) }, () => pick(rnd, HOSTILE_SEGMENTS)).join('/')}/etc/passwd`;
    case 3:
      return `${base}?${junk(rnd, 60, 'abc=&%;[]{}0123456789')}`;
    default: {
      const mutated = encodeURI(mutate(rnd, base)).replace(/%25/g, pick(rnd, ['%25', '%', '%2']));
      return mutated.startsWith('/') ? mutated : `/${mutated}`;
    }
  }
}

export interface FuzzContext {
  /** A valid bearer token of the demo. */
  token: string;
  /** A valid session cookie header of the demo. */
  cookie: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function fuzzHeaders(rnd: Random, known: FuzzContext): Record<string, string> {
  const headers: Record<string, string> = {};
  const maybe = (p: number) => rnd() < p;
  if (maybe(0.5)) {
    headers.authorization = pick(rnd, [
      `Basic ${b64('demo:demo-password')}`,
      `Basic ${b64(`demo:${junk(rnd, 20)}`)}`,
      `basic ${mutate(rnd, b64('demo:demo-password'))}`,
      `Basic ${junk(rnd, 40)}`,
      `Basic ${'A'.repeat(10_000)}`,
      `Bearer ${known.token}`,
      `Bearer ${mutate(rnd, known.token)}`,
      `Bearer ${junk(rnd, 200)}`,
      `Bearer eyJhbGciOiJub25lIn0.${b64('{"sub":"demo","scope":"files:read files:write"}')}.`,
      `Bearer ${'x'.repeat(8192)}`,
      'Bearer',
      `${junk(rnd, 10)} ${junk(rnd, 30)}`,
    ]);
  }
  if (maybe(0.4)) {
    headers.cookie = pick(rnd, [known.cookie, mutate(rnd, known.cookie), `koa.sess=${junk(rnd, 300)}`, junk(rnd, 100)]);
  }
  if (maybe(0.3)) {
    headers.range = pick(rnd, [
      'bytes=0-99',
      'bytes=-500',
      'bytes=9500-',
      'bytes=0-0,2-2,4-4',
      `bytes=${Array.from({ length: 40 }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`,
      'bytes=abc',
      'bytes=99999999-',
      'items=0-1',
      `bytes=${junk(rnd, 30, '0123456789-,= ')}`,
      mutate(rnd, 'bytes=0-99,200-299'),
    ]);
    if (maybe(0.3))
      headers['if-range'] = pick(rnd, ['"abc"', 'W/"abc"', 'Sat, 01 Jan 2000 00:00:00 GMT', junk(rnd, 30)]);
  }
  if (maybe(0.5)) {
    headers.accept = pick(rnd, [
      'application/json',
      'text/html',
      '*/*',
      'application/problem+json',
      'text/plain;q=0.1, application/xml',
      `${junk(rnd, 40, 'abc/*;q=0.,')}`,
      ';;;,,,/',
      'application/json;q=abc',
    ]);
  }
  if (maybe(0.4)) {
    headers['content-type'] = pick(rnd, [
      'multipart/form-data; boundary=XyZ',
      'multipart/form-data',
      'multipart/form-data; boundary=',
      `multipart/form-data; boundary=${junk(rnd, 80)}`,
      'application/json',
      'text/plain',
      'application/offset+octet-stream',
      junk(rnd, 40),
    ]);
  }
  if (maybe(0.2))
    headers['x-forwarded-for'] = pick(rnd, ['1.2.3.4', '::1', `${junk(rnd, 40, '0123456789.,: abcdef')}`]);
  if (maybe(0.1)) headers.expect = pick(rnd, ['100-continue', junk(rnd, 20)]);
  if (maybe(0.3)) {
    headers['tus-resumable'] = pick(rnd, ['1.0.0', '0.2.2', junk(rnd, 10)]);
    if (maybe(0.5))
      headers['upload-length'] = pick(rnd, ['10', '0', '-1', '1e9', '99999999999999999999', junk(rnd, 8)]);
    if (maybe(0.5)) headers['upload-offset'] = pick(rnd, ['0', '5', '-3', junk(rnd, 8)]);
    if (maybe(0.3))
      headers['upload-metadata'] = pick(rnd, [
        `filename ${b64('../../x')}`,
        junk(rnd, 50),
        'filename',
        `filename ${b64('.env')}`,
      ]);
    if (maybe(0.2))
      headers['upload-concat'] = pick(rnd, ['partial', 'final;/api/uploads/a /api/uploads/b', junk(rnd, 30)]);
    if (maybe(0.2)) headers['upload-checksum'] = pick(rnd, ['sha1 AAAA', 'md5', junk(rnd, 20)]);
    if (maybe(0.2)) headers['upload-defer-length'] = pick(rnd, ['1', '0', 'x']);
  }
  return headers;
}

export function fuzzBody(rnd: Random, contentType: string | undefined): Buffer | undefined {
  switch (int(rnd, 5)) {
    case 0:
      return undefined;
    case 1:
      return Buffer.from(Array.from({ length: int(rnd, 4096) }, () => int(rnd, 256)));
    case 2: {
      const boundary = /boundary=([^;]*)/.exec(contentType ?? '')?.[1] || 'XyZ';
      const part = `--${boundary}\r\nContent-Disposition: form-data; name="${pick(rnd, ['file', 'other', '"', ''])}"; filename="${pick(rnd, ['../../evil.txt', '报告.pdf', '.htaccess', 'a\u0000b', ''])}"\r\nContent-Type: ${pick(rnd, ['text/plain', 'image/png', ''])}\r\n\r\n${junk(rnd, 500)}`;
      return Buffer.from(rnd() < 0.5 ? `${part}\r\n--${boundary}--\r\n` : part);
    }
    case 3:
      return Buffer.from(JSON.stringify({ a: junk(rnd, 100), nested: { deep: [1, 2, 3] } }));
    default:
      return Buffer.from(junk(rnd, 2000));
  }
}
