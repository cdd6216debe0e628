import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { isPlainObject, optionError } from '@koa-kit/common';
import createError from 'http-errors';
import type { Context } from 'koa';
import { containedPath } from './contained-path.js';
import { DEFAULT_HIGH_WATER_MARK, openRange } from './file-stream.js';

/** Options of `sendFile(ctx, path, options)`. */
export interface SendFileOptions {
  /** Name the client should save the file as (any Unicode). Default: the file's own name. */
  filename?: string;
  /** `Content-Disposition: inline` (show in the browser) instead of `attachment`. Default `false`. */
  inline?: boolean;
  /** Content-Type. Default: looked up from the filename's extension, else `application/octet-stream`. */
  type?: string;
  /** Read size in bytes. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Folder the path is relative to. With it, the path may come from the client: `..` segments are
   * refused (403 `PATH_TRAVERSAL`), and so are dotfiles and files whose real path leaves root (404).
   */
  root?: string;
  /** With `root`: serve dotfiles and files in dot-folders. Default `false`. */
  hidden?: boolean;
  /** First byte of the file to send (the representation starts there). Default `0`. */
  start?: number;
  /** Last byte (inclusive) of the file to send; past the end means the end. Default: the last byte. */
  end?: number;
}

const NOT_FOUND = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP']);
const EMPTY = Buffer.alloc(0);

function fail(name: string, what: string): never {
  throw optionError('sendFile', `"${name}" option must be ${what}`);
}

/**
 * RFC 6266 Content-Disposition. Browsers read `filename*=UTF-8''...` (RFC 8187); curl -J and other
 * simple clients only read `filename=`, so that one carries the name's UTF-8 bytes as they are.
 * Control characters and path separators are replaced: the header cannot be split or name a folder.
 */
export function dispositionFor(filename: string, inline: boolean): string {
  const safe = filename.replace(/[\u0000-\u001f\u007f/\\]/g, '_');
  const raw = Buffer.from(safe, 'utf8').toString('latin1').replace(/["\\]/g, '\\$&');
  let header = `${inline ? 'inline' : 'attachment'}; filename="${raw}"`;
  if (/[^\u0020-\u007e]/.test(safe)) {
    const extended = encodeURIComponent(safe).replace(
      /['()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
    header += `; filename*=UTF-8''${extended}`;
  }
  return header;
}

function etagOf(stats: Stats): string {
  // ctime too: `cp -p` / `rsync -t` copy mtime, so size + mtime alone could name two versions.
  const micros = (ms: number): string => Math.floor(ms * 1000).toString(16);
  return `"${stats.size.toString(16)}-${micros(stats.mtimeMs)}-${micros(stats.ctimeMs)}"`;
}

function notModified(ctx: Context, etag: string, mtimeMs: number): boolean {
  const inm = ctx.req.headers['if-none-match'];
  if (inm) {
    if (inm.trim() === '*') return true;
    return inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
  }
  const ims = ctx.req.headers['if-modified-since'];
  if (!ims) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** RFC 9110 13.2.2 steps 1-2: `If-Match` (strong comparison) or, without it, `If-Unmodified-Since`. */
function preconditionFailed(ctx: Context, etag: string, mtimeMs: number): boolean {
  const im = ctx.req.headers['if-match'];
  if (im) return im.trim() !== '*' && !im.split(',').some((t) => t.trim() === etag);
  const ius = ctx.req.headers['if-unmodified-since'];
  if (!ius) return false;
  const since = Date.parse(ius);
  return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 > since;
}

/**
 * Sends one file as a download: Content-Type, Content-Length, ETag, Last-Modified and an RFC 6266
 * Content-Disposition (`filename*=UTF-8''...` for non-ASCII names). The body is a stream of the
 * file; put `rangeDownload()` above the handler to serve ranges and resumed downloads.
 */
export async function sendFile(ctx: Context, requestedPath: string, options: SendFileOptions = {}): Promise<void> {
  if (!isPlainObject(options as unknown)) throw optionError('sendFile', 'options must be an object');
  const { root, hidden = false, start = 0, end } = options;
  if (!Number.isSafeInteger(start) || start < 0) fail('start', 'an integer >= 0');
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) fail('end', 'an integer >= "start"');
  if (root !== undefined && (typeof root !== 'string' || root === '')) fail('root', 'a path to a folder');
  if (typeof hidden !== 'boolean') fail('hidden', 'a boolean');
  if (typeof requestedPath !== 'string') throw optionError('sendFile', '"path" must be a string');
  if (root === undefined && (requestedPath === '' || requestedPath.includes('\0'))) {
    throw optionError('sendFile', '"path" must be a non-empty file path');
  }
  const contained = root === undefined ? undefined : await containedPath(root, requestedPath, hidden);
  const filePath = contained ? contained.file : requestedPath;
  const {
    filename = contained ? contained.name : path.basename(filePath),
    inline = false,
    type,
    highWaterMark = DEFAULT_HIGH_WATER_MARK,
  } = options;
  if (typeof filename !== 'string' || filename === '') fail('filename', 'a non-empty string');
  if (typeof inline !== 'boolean') fail('inline', 'a boolean');
  if (type !== undefined && (typeof type !== 'string' || type === '')) fail('type', 'a non-empty string');
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 1024) fail('highWaterMark', 'an integer >= 1024 (bytes)');

  let stats: Stats;
  try {
    stats = await stat(filePath);
    // stat needs no read permission: open the file once, so that an unreadable one is a 403 now
    // rather than a 200 whose stream fails after the headers went out (never a FIFO: it would block).
    if (stats.isFile()) await (await open(filePath, 'r')).close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (NOT_FOUND.has(code)) throw createError(404, 'File not found', { code: 'FILE_NOT_FOUND' });
    if (code === 'EACCES' || code === 'EPERM') throw createError(403, 'Forbidden', { code: 'FILE_FORBIDDEN' });
    throw createError(500, 'Cannot read file', { code: 'FILE_READ_ERROR', expose: false, cause: err });
  }
  if (!stats.isFile()) throw createError(404, 'File not found', { code: 'FILE_NOT_FOUND' });

  const last = Math.min(end ?? Number.POSITIVE_INFINITY, stats.size - 1);
  const length = Math.max(0, last - start + 1);
  // A window is its own representation: its validator must differ from the whole file's.
  const etag = start === 0 && end === undefined ? etagOf(stats) : etagOf(stats).replace(/"$/, `-${start}-${last}"`);
  if (type === undefined) {
    // A Content-Type chosen upstream is kept, as koa-send and send keep it.
    if (!ctx.res.hasHeader('Content-Type')) ctx.type = path.extname(filename); // Koa's own MIME table
    if (!ctx.response.get('Content-Type')) ctx.set('Content-Type', 'application/octet-stream');
  } else {
    ctx.set('Content-Type', type);
  }
  ctx.set('Content-Disposition', dispositionFor(filename, inline));
  ctx.set('Last-Modified', stats.mtime.toUTCString());
  ctx.set('ETag', etag);
  if (preconditionFailed(ctx, etag, stats.mtimeMs)) {
    throw createError(412, 'Precondition Failed', { code: 'PRECONDITION_FAILED' });
  }
  if (notModified(ctx, etag, stats.mtimeMs)) {
    ctx.status = 304;
    return;
  }
  ctx.status = 200;
  if (ctx.method === 'HEAD') {
    ctx.length = length;
    return;
  }
  ctx.body = length === 0 ? EMPTY : openRange(ctx, filePath, start, last, highWaterMark);
  ctx.length = length;
}
