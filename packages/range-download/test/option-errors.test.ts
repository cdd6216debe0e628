import { itRefusesOptions } from '@koa-kit/common/test';
import { rangeDownload, sendFile } from '@koa-kit/range-download';
import type { Context } from 'koa';
import { describe } from 'vitest';

// sendFile() checks its arguments before it touches the context.
const ctx = {} as Context;

describe('option errors read `<function>(): <detail>`', () => {
  itRefusesOptions('rangeDownload', [
    ['options that are not an object', () => rangeDownload(null as never), 'options must be an object'],
    ['a bad maxRanges', () => rangeDownload({ maxRanges: 0 }), '"maxRanges" option must be an integer >= 1'],
    ['a bad highWaterMark', () => rangeDownload({ highWaterMark: 1 }), /^"highWaterMark" option must be an integer/],
  ]);
  itRefusesOptions('sendFile', [
    ['options that are not an object', () => sendFile(ctx, 'a.txt', null as never), 'options must be an object'],
    ['a bad start', () => sendFile(ctx, 'a.txt', { start: -1 }), '"start" option must be an integer >= 0'],
    ['an end before start', () => sendFile(ctx, 'a.txt', { start: 5, end: 2 }), /^"end" option must be/],
    ['a bad root', () => sendFile(ctx, 'a.txt', { root: '' }), '"root" option must be a path to a folder'],
    ['a path that is not a string', () => sendFile(ctx, 1 as never), '"path" must be a string'],
    ['an empty path', () => sendFile(ctx, ''), '"path" must be a non-empty file path'],
  ]);
});
