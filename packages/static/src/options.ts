import type { Stats } from 'node:fs';
import { optionError, optionsObject } from '@koa-kit/common';
import type { Context } from 'koa';
import type { Coding } from './encoding.js';

/** Options of `serveStatic(root, options)`. */
export interface ServeStaticOptions {
  /** URL path the folder is mounted under, e.g. `/assets`. Default `/`. */
  prefix?: string;
  /** File(s) served for a folder, tried in order; `false` for none. Default `'index.html'`. */
  index?: string | string[] | false;
  /**
   * List a folder that has no index: an escaped HTML page, or JSON (`[{ name, type }]`) when the
   * client prefers `application/json`. Dotfiles (unless `hidden`), symlinks and names `filter`
   * refuses are left out. Default `false`.
   */
  list?: boolean;
  /** Answer a folder asked for without its trailing slash (`/docs`) with a 301 to `/docs/` (query kept). Default `true`. */
  redirect?: boolean;
  /** Extensions tried, in order, when the path has none and no such file exists, e.g. `['html']`. */
  extensions?: string[] | false;
  /**
   * Answer a path that is not in its canonical spelling (`//a`, `/./a`, `/%61`, `/a%2Fb`, `\`) with a
   * 301 to the canonical spelling instead of 400 `PATH_NOT_CANONICAL`. Default `false`.
   */
  redirectToCanonical?: boolean;
  /** Serve dotfiles and files in dot-folders. Default `false`: they are treated as missing. */
  hidden?: boolean;
  /** `Cache-Control` max-age: milliseconds, or a string such as `'1d'`, `'2h'`, `'30 days'`. Capped at one year. Default `0`. */
  maxAge?: number | string;
  /** Send `Cache-Control`. Default `true`. */
  cacheControl?: boolean;
  /** Send a strong `ETag` (and answer `If-None-Match` / `If-Match` from it). Default `true`. */
  etag?: boolean;
  /** Send `Last-Modified` (and answer `If-Modified-Since` / `If-Unmodified-Since` from it). Default `true`. */
  lastModified?: boolean;
  /** With `precompressed`: look for `<file>.br`. Default `true`. */
  brotli?: boolean;
  /** With `precompressed`: look for `<file>.gz`. Default `true`. */
  gzip?: boolean;
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
  redirectToCanonical: boolean;
  redirect: boolean;
  list: boolean;
  /** The `Cache-Control` value, or `undefined` to send none. */
  cacheControl: string | undefined;
  etag: boolean;
  lastModified: boolean;
  /** Precompressed codings looked for (empty: none). */
  codings: Coding[];
  followSymlinks: boolean;
  filter: ServeStaticOptions['filter'];
  setHeaders: ServeStaticOptions['setHeaders'];
  cacheMaxFileSize: number;
  cacheMaxSize: number;
  highWaterMark: number;
}

/** One year, the most `maxAge` gives (as pillarjs/send caps it): a longer one is a mistake more often than a wish. */
export const MAX_MAX_AGE = 365 * 24 * 60 * 60 * 1000;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
const UNIT_ALIASES: Record<string, string> = {
  msec: 'ms',
  msecs: 'ms',
  millisecond: 'ms',
  milliseconds: 'ms',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  day: 'd',
  days: 'd',
  week: 'w',
  weeks: 'w',
  yr: 'y',
  yrs: 'y',
  year: 'y',
  years: 'y',
};
const DURATION = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** `maxAge` in milliseconds: a number, or a duration string as `ms` writes them (`'1d'`, `'2 hours'`). */
function milliseconds(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const m = DURATION.exec(value.trim());
    const unit = m ? m[2]!.toLowerCase() || 'ms' : '';
    const factor = UNIT_MS[UNIT_ALIASES[unit] ?? unit];
    if (m && factor !== undefined) return Number(m[1]) * factor;
  }
  fail('maxAge', "a number of milliseconds >= 0 or a duration such as '1d'");
}

function fail(name: string, what: string): never {
  throw optionError('serveStatic', `"${name}" option must be ${what}`);
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
  const o = optionsObject('serveStatic', options);

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

  const maxAge = Math.min(milliseconds(o.maxAge), MAX_MAX_AGE);
  const immutable = bool(o.immutable, 'immutable', false);
  const seconds = Math.floor(maxAge / 1000);
  const cacheControl = bool(o.cacheControl, 'cacheControl', true)
    ? `public, max-age=${seconds}${immutable ? ', immutable' : ''}`
    : undefined;
  const codings: Coding[] = [];
  const precompressed = bool(o.precompressed, 'precompressed', true);
  if (bool(o.brotli, 'brotli', true) && precompressed) codings.push('br');
  if (bool(o.gzip, 'gzip', true) && precompressed) codings.push('gzip');

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
    redirectToCanonical: bool(o.redirectToCanonical, 'redirectToCanonical', false),
    redirect: bool(o.redirect, 'redirect', true),
    list: bool(o.list, 'list', false),
    cacheControl,
    etag: bool(o.etag, 'etag', true),
    lastModified: bool(o.lastModified, 'lastModified', true),
    codings,
    followSymlinks: bool(o.followSymlinks, 'followSymlinks', false),
    filter: o.filter,
    setHeaders: o.setHeaders,
    cacheMaxFileSize,
    cacheMaxSize,
    highWaterMark: bytes(o.highWaterMark, 'highWaterMark', DEFAULT_HIGH_WATER_MARK, 1024),
  };
}
