import { ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { optionError, optionsObject } from '@koa-kit/common';
import createError from 'http-errors';
import type { Context, Middleware, Next } from 'koa';
import { DEFAULT_HIGH_WATER_MARK, openRange } from './file-stream.js';
import { multipartBuffer, multipartFile, multipartLayout } from './multipart.js';
import { type ByteRange, ifRangeMatches, parseRange } from './parse-range.js';

/** Options of `rangeDownload(options)`. */
export interface RangeDownloadOptions {
  /** Most range-specs honoured in one `Range` header; more are answered with the whole body (200). Default 16. */
  maxRanges?: number;
  /** Read size in bytes for reopened file ranges. Default: the original stream's, else 1 MiB. */
  highWaterMark?: number;
}

export const DEFAULT_MAX_RANGES = 16;

/** A body this middleware can cut: bytes in memory, or a whole file it can reopen. */
type Source =
  | { kind: 'buffer'; bytes: Buffer }
  | { kind: 'string'; text: string }
  | { kind: 'file'; path: string | Buffer; offset: number; stream: ReadStream | null; hwm: number };

interface StreamInternals {
  start?: number;
  end?: number;
}

/**
 * Where in its file an unread file stream starts, when its length is known: a whole file (as
 * `fs.createReadStream(path)` makes it) or a window with both ends set that matches the declared
 * length (as serveStatic and sendFile make them). `undefined`: not a stream this can reopen.
 */
function fileWindowOffset(body: unknown, length: number | undefined): number | undefined {
  if (!(body instanceof ReadStream)) return undefined;
  const { start = 0, end } = body as unknown as StreamInternals;
  if (typeof body.path !== 'string' && !Buffer.isBuffer(body.path)) return undefined;
  if (body.destroyed || body.bytesRead !== 0 || body.readableFlowing === true) return undefined;
  if (end === undefined || end === Number.POSITIVE_INFINITY) return start === 0 ? 0 : undefined;
  return length !== undefined && end - start + 1 === length ? start : undefined;
}

/**
 * Discards a file stream that will never be read. Its open() may still be pending and fail (the
 * file deleted meanwhile, EMFILE): without a listener that 'error' would crash the process. The
 * listener stays (`on`, not `once`): with `once`, the regression test still saw that 'error' arrive
 * with no listener left in about 1 run of 3.
 */
function discard(stream: ReadStream | null | undefined): void {
  if (!stream) return;
  stream.on('error', () => {});
  stream.destroy();
}

function fail(name: string, what: string): never {
  throw optionError('rangeDownload', `"${name}" option must be ${what}`);
}

/**
 * Answers `Range` requests (RFC 9110) for any response below it whose body has a known length:
 * a Buffer, a string, or a whole-file `fs.ReadStream` (reopened for just the requested bytes).
 */
export function rangeDownload(options?: RangeDownloadOptions): Middleware {
  options = optionsObject('rangeDownload', options);
  const maxRanges = options.maxRanges ?? DEFAULT_MAX_RANGES;
  if (typeof maxRanges !== 'number' || !Number.isSafeInteger(maxRanges) || maxRanges < 1) {
    fail('maxRanges', 'an integer >= 1');
  }
  const fixedHwm = options.highWaterMark;
  if (fixedHwm !== undefined && (typeof fixedHwm !== 'number' || !Number.isSafeInteger(fixedHwm) || fixedHwm < 1024)) {
    fail('highWaterMark', 'an integer >= 1024 (bytes)');
  }

  async function sourceOf(ctx: Context): Promise<{ source: Source | null; size: number } | null> {
    const body: unknown = ctx.body;
    if (Buffer.isBuffer(body)) return { source: { kind: 'buffer', bytes: body }, size: body.length };
    const declared = ctx.response.length;
    if (typeof body === 'string') {
      // Koa set Content-Length from the UTF-8 length; the bytes are made only if a range is cut.
      return { source: { kind: 'string', text: body }, size: declared ?? Buffer.byteLength(body) };
    }
    const offset = fileWindowOffset(body, declared);
    if (offset !== undefined && body instanceof ReadStream) {
      let size = declared;
      if (size === undefined) {
        try {
          size = (await stat(body.path)).size;
        } catch {
          return null; // let the stream itself report the problem
        }
      }
      const hwm = fixedHwm ?? body.readableHighWaterMark ?? DEFAULT_HIGH_WATER_MARK;
      return { source: { kind: 'file', path: body.path, offset, stream: body, hwm }, size };
    }
    // HEAD answered without a body but with its length: same headers as GET, no bytes.
    if (body == null && ctx.method === 'HEAD' && declared !== undefined) return { source: null, size: declared };
    return null;
  }

  return async function rangeDownload(ctx: Context, next: Next): Promise<void> {
    await next();
    const method = ctx.method;
    if ((method !== 'GET' && method !== 'HEAD') || ctx.status !== 200) return;
    if (ctx.res.hasHeader('Content-Range')) return;
    // The handler said this resource takes no ranges (RFC 9110 14.3): keep its word.
    if (/^\s*none\s*$/i.test(String(ctx.response.get('Accept-Ranges') ?? ''))) return;
    const found = await sourceOf(ctx);
    if (!found) return;
    const { source, size } = found;
    ctx.set('Accept-Ranges', 'bytes');

    const header = ctx.req.headers.range;
    if (header === undefined || size === 0) return;
    const ifRange = ctx.req.headers['if-range'];
    if (
      typeof ifRange === 'string' &&
      !ifRangeMatches(ifRange, ctx.response.get('ETag') || undefined, ctx.response.get('Last-Modified') || undefined)
    ) {
      return;
    }
    const request = parseRange(header, size, maxRanges);
    if (request.kind === 'ignore') return;
    // Several ranges of a content-coded body (a .br/.gz file) would make the coding ambiguous
    // inside multipart/byteranges: send the whole representation instead.
    if (request.kind === 'ranges' && request.ranges.length > 1 && ctx.res.hasHeader('Content-Encoding')) return;
    if (request.kind === 'unsatisfiable') {
      if (source?.kind === 'file') discard(source.stream);
      throw createError(416, 'Range Not Satisfiable', {
        code: 'RANGE_NOT_SATISFIABLE',
        headers: { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' },
      });
    }
    respondPartial(ctx, source, size, request.ranges);
  };
}

function respondPartial(ctx: Context, found: Source | null, size: number, ranges: ByteRange[]): void {
  const source: Source | null = found?.kind === 'string' ? { kind: 'buffer', bytes: Buffer.from(found.text) } : found;
  ctx.state.range = { size, ranges };
  ctx.status = 206;
  // HEAD: the same headers as GET; the body (never sent) is left to Koa, which destroys it.
  const head = ctx.method === 'HEAD';
  if (source?.kind === 'file' && !head) {
    discard(source.stream); // never read: only the requested bytes are read, from a new stream
    source.stream = null;
  }
  if (ranges.length === 1) {
    const { start, end } = ranges[0]!;
    ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
    if (!head && source?.kind === 'buffer') ctx.body = source.bytes.subarray(start, end + 1);
    else if (!head && source?.kind === 'file') {
      ctx.body = openRange(ctx, source.path, source.offset + start, source.offset + end, source.hwm);
    }
    ctx.length = end - start + 1;
    return;
  }
  const layout = multipartLayout(ranges, size, ctx.response.get('Content-Type') || undefined);
  ctx.set('Content-Type', layout.contentType);
  if (!head && source?.kind === 'buffer') ctx.body = multipartBuffer(layout, ranges, source.bytes);
  else if (!head && source?.kind === 'file')
    ctx.body = multipartFile(layout, ranges, source.path, source.offset, source.hwm);
  ctx.length = layout.length;
}
