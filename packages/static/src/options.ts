import type { Stats } from 'node:fs';
import type { Context } from 'koa';

/** Options of `serveStatic(root, options)`. */
export interface ServeStaticOptions {
  /** URL path the folder is mounted under, e.g. `/assets`. Default `/`. */
  prefix?: string;
  /** File(s) served for a folder, tried in order; `false` for none. Default `'index.html'`. */
  index?: string | string[] | false;
  /** Extensions tried, in order, when the path has none and no such file exists, e.g. `['html']`. */
  extensions?: string[] | false;
  /** Serve dotfiles and files in dot-folders. Default `false`: they are treated as missing. */
  hidden?: boolean;
  /** `Cache-Control` max-age in milliseconds. Default `0`. */
  maxAge?: number;
  /** Add `immutable` to `Cache-Control`. Default `false`. */
  immutable?: boolean;
  /** Serve `<file>.br` / `<file>.gz` when the client accepts them. Default `true`. */
  precompressed?: boolean;
  /** Serve files whose symlinks lead outside root. Default `false`. */
  followSymlinks?: boolean;
  /** Called with the canonical path relative to root (`/a/b.txt`); `false` treats the file as missing. */
  filter?: (relativePath: string, ctx: Context) => boolean;
  /** Called last, before the body is set, to add or change response headers. */
  setHeaders?: (ctx: Context, filePath: string, stats: Stats) => void;
  /** Files up to this many bytes are kept in memory (validated by mtime/size on every request). `0` disables. Default 1 MiB. */
  cacheMaxFileSize?: number;
  /** Total bytes of file content kept in memory. Default 32 MiB. */
  cacheMaxSize?: number;
  /** Read size in bytes for streamed files. Default 1 MiB. */
  highWaterMark?: number;
}

export const DEFAULT_INDEX = 'index.html';
export const DEFAULT_CACHE_MAX_FILE_SIZE = 1024 * 1024;
export const DEFAULT_CACHE_MAX_SIZE = 32 * 1024 * 1024;
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

export interface ResolvedOptions {
  prefixSegments: string[];
  index: string[];
  extensions: string[];
  hidden: boolean;
  cacheControl: string;
  precompressed: boolean;
  followSymlinks: boolean;
  filter: ServeStaticOptions['filter'];
  setHeaders: ServeStaticOptions['setHeaders'];
  cacheMaxFileSize: number;
  cacheMaxSize: number;
  highWaterMark: number;
}

function fail(name: string, what: string): never {
  throw new TypeError(`"${name}" option must be ${what}`);
}

function bool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(name, 'a boolean');
  return value;
}

function bytes(value: unknown, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(name, `an integer >= ${min} (bytes)`);
  }
  return value;
}

function fileName(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '' || /[/\\\0]/.test(value) || value === '.' || value === '..') {
    fail(name, 'a file name without separators');
  }
  return value;
}

/** Checks every option once, when the factory is called; the caller's object is left untouched. */
export function resolveOptions(options: ServeStaticOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const o = options;

  let prefixSegments: string[] = [];
  if (o.prefix !== undefined) {
    if (typeof o.prefix !== 'string' || !o.prefix.startsWith('/') || /[\\\0%]/.test(o.prefix)) {
      fail('prefix', 'a path starting with "/" (not percent-encoded)');
    }
    prefixSegments = o.prefix.split('/').filter((s) => s !== '' && s !== '.');
    if (prefixSegments.includes('..')) fail('prefix', 'a path without ".." segments');
  }

  let index: string[] = [DEFAULT_INDEX];
  if (o.index === false) index = [];
  else if (typeof o.index === 'string') index = [fileName(o.index, 'index')];
  else if (Array.isArray(o.index)) index = o.index.map((i) => fileName(i, 'index'));
  else if (o.index !== undefined) fail('index', 'a file name, an array of file names or false');

  let extensions: string[] = [];
  if (Array.isArray(o.extensions)) {
    extensions = o.extensions.map((e) => {
      if (typeof e !== 'string' || !/^\.?[A-Za-z0-9_+-]+$/.test(e)) fail('extensions', 'an array of extensions');
      return e.startsWith('.') ? e : `.${e}`;
    });
  } else if (o.extensions !== undefined && o.extensions !== false) {
    fail('extensions', 'an array of extensions or false');
  }

  const maxAge = o.maxAge === undefined ? 0 : o.maxAge;
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 0) {
    fail('maxAge', 'a number of milliseconds >= 0');
  }
  const immutable = bool(o.immutable, 'immutable', false);
  const seconds = Math.floor(maxAge / 1000);
  const cacheControl = `public, max-age=${seconds}${immutable ? ', immutable' : ''}`;

  if (o.filter !== undefined && typeof o.filter !== 'function') fail('filter', 'a function');
  if (o.setHeaders !== undefined && typeof o.setHeaders !== 'function') fail('setHeaders', 'a function');

  const cacheMaxSize = bytes(o.cacheMaxSize, 'cacheMaxSize', DEFAULT_CACHE_MAX_SIZE);
  const cacheMaxFileSize = bytes(
    o.cacheMaxFileSize,
    'cacheMaxFileSize',
    Math.min(DEFAULT_CACHE_MAX_FILE_SIZE, cacheMaxSize),
  );
  if (cacheMaxFileSize > cacheMaxSize) fail('cacheMaxFileSize', 'at most "cacheMaxSize"');

  return {
    prefixSegments,
    index,
    extensions,
    hidden: bool(o.hidden, 'hidden', false),
    cacheControl,
    precompressed: bool(o.precompressed, 'precompressed', true),
    followSymlinks: bool(o.followSymlinks, 'followSymlinks', false),
    filter: o.filter,
    setHeaders: o.setHeaders,
    cacheMaxFileSize,
    cacheMaxSize,
    highWaterMark: bytes(o.highWaterMark, 'highWaterMark', DEFAULT_HIGH_WATER_MARK, 1024),
  };
}
