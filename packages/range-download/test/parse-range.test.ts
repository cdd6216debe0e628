import { describe, expect, it } from 'vitest';
import { coalesce, ifRangeMatches, parseRange } from '../src/parse-range.js';

const SIZE = 10_000;

describe('parseRange', () => {
  it.each([
    ['bytes=0-499', [{ start: 0, end: 499 }]],
    ['bytes=500-999', [{ start: 500, end: 999 }]],
    ['bytes=-500', [{ start: 9500, end: 9999 }]],
    ['bytes=9500-', [{ start: 9500, end: 9999 }]],
    ['bytes=0-0', [{ start: 0, end: 0 }]],
    ['bytes=9999-', [{ start: 9999, end: 9999 }]],
    ['bytes=0-999999', [{ start: 0, end: 9999 }]],
    ['bytes=-999999', [{ start: 0, end: 9999 }]],
    ['BYTES=0-1', [{ start: 0, end: 1 }]],
    [
      'bytes= 0-1 , 5-6 ',
      [
        { start: 0, end: 1 },
        { start: 5, end: 6 },
      ],
    ],
    [
      'bytes=0-1,,5-6',
      [
        { start: 0, end: 1 },
        { start: 5, end: 6 },
      ],
    ],
    ['bytes=500-600,601-999', [{ start: 500, end: 999 }]],
    ['bytes=500-700,601-999', [{ start: 500, end: 999 }]],
    [
      'bytes=0-10,5-6,100-200',
      [
        { start: 0, end: 10 },
        { start: 100, end: 200 },
      ],
    ],
    [
      'bytes=100-200,0-10',
      [
        { start: 0, end: 10 },
        { start: 100, end: 200 },
      ],
    ],
    ['bytes=0-1,20000-30000', [{ start: 0, end: 1 }]],
    ['bytes=-0,0-1', [{ start: 0, end: 1 }]],
    ['bytes=0-,-500', [{ start: 0, end: 9999 }]],
  ])('%s', (header, ranges) => {
    expect(parseRange(header, SIZE, 16)).toEqual({ kind: 'ranges', ranges });
  });

  it.each([
    'bytes=abc',
    'bytes=',
    'bytes=-',
    'bytes=5-1',
    'bytes=1-2-3',
    'bytes=0x10-20',
    'bytes=1.5-2',
    'bytes=+1-2',
    'bytes=1 -2',
    'bytes=0-1,abc',
    'bytes=0-1,5-1',
    'items=0-1',
    'bytes 0-1',
    '=0-1',
    '0-1',
    '',
    'bytes=--1',
    'bytes=-1-',
    'bytes=\u00a00-1',
  ])('ignores the syntactically invalid %j', (header) => {
    expect(parseRange(header, SIZE, 16)).toEqual({ kind: 'ignore' });
  });

  it.each(['bytes=10000-', 'bytes=10000-20000', 'bytes=-0', 'bytes=20000-,30000-40000', `bytes=${'9'.repeat(400)}-`])(
    'calls %j unsatisfiable',
    (header) => {
      expect(parseRange(header, SIZE, 16)).toEqual({ kind: 'unsatisfiable' });
    },
  );

  it('ignores a header with more range-specs than maxRanges (counted before coalescing)', () => {
    const many = `bytes=${Array.from({ length: 17 }, (_, i) => `${i}-${i}`).join(',')}`;
    expect(parseRange(many, SIZE, 16)).toEqual({ kind: 'ignore' });
    const sixteen = `bytes=${Array.from({ length: 16 }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`;
    const r = parseRange(sixteen, SIZE, 16);
    expect(r.kind === 'ranges' && r.ranges.length).toBe(16);
    const thousand = `bytes=${Array.from({ length: 1000 }, () => '0-').join(',')}`;
    expect(parseRange(thousand, SIZE, 16)).toEqual({ kind: 'ignore' });
  });

  it('coalesce keeps disjoint ranges and merges touching ones', () => {
    expect(
      coalesce([
        { start: 10, end: 20 },
        { start: 0, end: 5 },
        { start: 6, end: 9 },
      ]),
    ).toEqual([{ start: 0, end: 20 }]);
    expect(
      coalesce([
        { start: 0, end: 5 },
        { start: 7, end: 9 },
      ]),
    ).toEqual([
      { start: 0, end: 5 },
      { start: 7, end: 9 },
    ]);
  });
});

describe('ifRangeMatches', () => {
  const lm = 'Wed, 21 Oct 2015 07:28:00 GMT';
  it.each([
    ['"abc"', '"abc"', lm, true],
    [' "abc" ', '"abc"', lm, true],
    ['"abd"', '"abc"', lm, false],
    ['W/"abc"', '"abc"', lm, false],
    ['"abc"', 'W/"abc"', lm, false],
    ['"abc"', undefined, lm, false],
    [lm, '"abc"', lm, true],
    ['Wed, 21 Oct 2015 07:28:01 GMT', '"abc"', lm, false],
    [lm, '"abc"', undefined, false],
    ['not a date', '"abc"', lm, false],
  ])('If-Range %j vs ETag %j', (value, etag, lastModified, expected) => {
    expect(ifRangeMatches(value, etag, lastModified)).toBe(expected);
  });
});
