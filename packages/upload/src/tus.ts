import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { isPlainObject, optionError, rejectUnknownOptions } from '@koa-kit/common';
import { MemoryLocker, Server } from '@tus/server';
import { ERRORS, HEADERS, Metadata, TUS_RESUMABLE, Upload } from '@tus/utils';
import type { Context, Middleware, Next } from 'koa';
import { lingerOnClose } from './connection.js';
import { httpError, isHttpError, LOCK_TIMEOUT_CODE, LOCKER_UNAVAILABLE_CODE, lockTimeoutError } from './errors.js';
import {
  ID_FORMAT,
  KitFileStore,
  type KitUpload,
  STORE_ERRORS,
  SUPPORTED_CHECKSUMS,
  type TusRequest,
} from './tus-store.js';

/** An upload being created, as `onUploadCreate` sees it. */
export interface ResumableUploadInfo {
  id: string;
  /** Total length in bytes, or `undefined` while the client defers it (creation-defer-length). */
  size: number | undefined;
  /** Decoded `Upload-Metadata` (values are UTF-8 strings, `null` for a key without value). */
  metadata: Record<string, string | null>;
  /** `'partial'` for a piece of a parallel upload, `'final'` for the concatenation of pieces. */
  concat: 'partial' | 'final' | undefined;
}

/** What `onUploadCreate` may return: metadata to store instead of the client's. */
export interface UploadCreateResult {
  metadata?: Record<string, string>;
}

/** What a request does to an existing upload, as `authorize` sees it. */
export type ResumableUploadAction = 'head' | 'patch' | 'delete' | 'concatenate';

/** An existing upload, as `authorize` sees it. */
export interface StoredUploadInfo {
  id: string;
  size: number | undefined;
  /** Bytes received so far. */
  offset: number;
  /** The stored metadata (the client's, or what `onUploadCreate` returned). */
  metadata: Record<string, string | null>;
}

/** A finished upload, handed to `onUploadFinish`. */
export interface FinishedUpload {
  id: string;
  /** Where the bytes are on disk. Move or copy the file; the upload record stays until it expires. */
  path: string;
  /** Length in bytes. */
  size: number;
  metadata: Record<string, string | null>;
}

/** The TusRequest our middleware hands @tus/server, on the request object it passes back to the hooks. */
const REQUEST = Symbol('koa-kit.tus.request');

function requestOf(req: unknown): TusRequest | undefined {
  return (req as { [REQUEST]?: TusRequest } | null)?.[REQUEST];
}

/** A lock on one upload id (the shape of @tus/server's lockers). */
export interface UploadLock {
  lock(signal: AbortSignal, requestRelease: () => void | Promise<void>): Promise<void>;
  unlock(): Promise<void>;
}

/** Hands out locks; share one across processes (for example Redis-backed) when several serve uploads. */
export interface UploadLocker {
  newLock(id: string): UploadLock;
}

/** Options of `resumableUpload()`. */
export interface ResumableUploadOptions {
  /** Path of the upload collection as the middleware sees it in `ctx.path`, e.g. `/files`. */
  path: string;
  /** Folder the uploads and their `.json` records are stored in (created if missing). */
  directory: string;
  /** Largest upload, in bytes. Default 1 GiB. `0` means no limit. */
  maxSize?: number;
  /** How long an unfinished upload lives, in milliseconds (expiration extension). Default 24 h; `0`: forever. */
  expiresIn?: number;
  /** Least time between two sweeps of expired uploads, in milliseconds, run on a request. Default 1 h; `0`: never. */
  cleanupInterval?: number;
  /** How long a PATCH body may send nothing, in milliseconds, before 408 (the bytes received stay). Default 30 s; `0`: off. */
  idleTimeout?: number;
  /** Most upload bodies (PATCH, creation-with-upload) one client sends at once; more are 429. Default 10; `0`: no cap. */
  maxConcurrentUploads?: number;
  /** Who a client is, for `maxConcurrentUploads`. Default `ctx.ip` (trust proxies with `app.proxy` only). */
  clientId?: (ctx: Context) => string;
  /** Send `Location` as a path instead of an absolute URL. Default `false`. */
  relativeLocation?: boolean;
  /**
   * Public origin clients reach the app at (`https://uploads.example.com`): `Location` is built from it
   * instead of `Host` / `X-Forwarded-*`. Default: the request's origin when it is http(s) with a
   * well-formed host, else a path.
   */
  baseUrl?: string;
  /** Origins allowed to read responses cross-origin (CORS). Default: any origin (`*`), without credentials. */
  allowedOrigins?: readonly string[];
  /** Request headers a browser may send cross-origin, added to the tus ones (`Upload-Checksum` included). */
  allowedHeaders?: readonly string[];
  /** Response headers a browser may read cross-origin, added to the tus ones (`Upload-Expires` included). */
  exposedHeaders?: readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies cross-origin). Needs `allowedOrigins`. Default `false`. */
  allowedCredentials?: boolean;
  /** Locker shared by the processes serving uploads. Default: in-memory, for one process. */
  locker?: UploadLocker;
  /**
   * Called before an upload is created; throw an HttpError (e.g. 403, 422) to refuse it. Return
   * `{ metadata }` to store that metadata instead of the client's (for example an owner for `authorize`).
   */
  onUploadCreate?: (
    ctx: Context,
    upload: ResumableUploadInfo,
    // biome-ignore lint/suspicious/noConfusingVoidType: an async hook that returns nothing is Promise<void>
  ) => void | UploadCreateResult | Promise<void | UploadCreateResult>;
  /**
   * Decides whether this request may touch an existing upload (`head`, `patch`, `delete`, or
   * `concatenate` for each partial of a final upload). Anything but `true` refuses, as if the upload did
   * not exist (404 `UPLOAD_NOT_FOUND`; 400 `UPLOAD_CONCAT_INVALID` for a partial).
   */
  authorize?: (ctx: Context, action: ResumableUploadAction, upload: StoredUploadInfo) => boolean | Promise<boolean>;
  /**
   * Called when an upload has all its bytes, before the client gets its answer. Throw to refuse the file:
   * the upload is removed and the client gets the error.
   */
  onUploadFinish?: (ctx: Context, upload: FinishedUpload) => void | Promise<void>;
}

/** Error codes `resumableUpload()` throws with (all carry `Tus-Resumable`). */
export const ResumableUploadErrorCode = {
  versionUnsupported: 'TUS_VERSION_UNSUPPORTED',
  headerInvalid: 'TUS_HEADER_INVALID',
  extensionUnsupported: 'TUS_EXTENSION_UNSUPPORTED',
  offsetMissing: 'UPLOAD_OFFSET_MISSING',
  offsetConflict: 'UPLOAD_OFFSET_CONFLICT',
  contentTypeInvalid: 'UPLOAD_CONTENT_TYPE_INVALID',
  lengthInvalid: 'UPLOAD_LENGTH_INVALID',
  lengthExceeded: 'UPLOAD_LENGTH_EXCEEDED',
  tooLarge: 'UPLOAD_TOO_LARGE',
  metadataInvalid: 'UPLOAD_METADATA_INVALID',
  notFound: 'UPLOAD_NOT_FOUND',
  gone: 'UPLOAD_GONE',
  terminationRefused: 'UPLOAD_TERMINATION_REFUSED',
  finalImmutable: 'UPLOAD_FINAL_IMMUTABLE',
  concatInvalid: 'UPLOAD_CONCAT_INVALID',
  checksumInvalid: 'CHECKSUM_INVALID',
  checksumUnsupported: 'CHECKSUM_ALGORITHM_UNSUPPORTED',
  checksumMismatch: 'CHECKSUM_MISMATCH',
  aborted: 'UPLOAD_ABORTED',
  tooManyUploads: 'UPLOAD_CONCURRENCY_LIMIT',
  idleTimeout: 'UPLOAD_IDLE_TIMEOUT',
  lockTimeout: LOCK_TIMEOUT_CODE,
  lockerUnavailable: LOCKER_UNAVAILABLE_CODE,
  lockerError: 'UPLOAD_LOCKER_ERROR',
  refused: 'UPLOAD_REFUSED',
  hookFailed: 'UPLOAD_HOOK_FAILED',
  storageFailed: 'UPLOAD_STORAGE_FAILED',
} as const;

const C = ResumableUploadErrorCode;
const TUS_CODES = new Map<unknown, string>([
  [ERRORS.MISSING_OFFSET, C.offsetMissing],
  [ERRORS.ABORTED, C.aborted],
  [ERRORS.INVALID_TERMINATION, C.terminationRefused],
  [ERRORS.INVALID_CONTENT_TYPE, C.contentTypeInvalid],
  [ERRORS.FILE_NOT_FOUND, C.notFound],
  [ERRORS.INVALID_OFFSET, C.offsetConflict],
  [ERRORS.FILE_NO_LONGER_EXISTS, C.gone],
  [ERRORS.ERR_SIZE_EXCEEDED, C.lengthExceeded],
  [ERRORS.ERR_MAX_SIZE_EXCEEDED, C.tooLarge],
  [ERRORS.INVALID_LENGTH, C.lengthInvalid],
  [ERRORS.INVALID_METADATA, C.metadataInvalid],
  [ERRORS.FILE_WRITE_ERROR, C.storageFailed],
  [ERRORS.UNSUPPORTED_CONCATENATION_EXTENSION, C.extensionUnsupported],
  [ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION, C.extensionUnsupported],
  [ERRORS.UNSUPPORTED_EXPIRATION_EXTENSION, C.extensionUnsupported],
  [STORE_ERRORS.CHECKSUM_MISMATCH, C.checksumMismatch],
  [STORE_ERRORS.FINAL_UPLOAD_PATCH, C.finalImmutable],
  [STORE_ERRORS.IDLE_TIMEOUT, C.idleTimeout],
]);

export const DEFAULT_MAX_SIZE = 1024 * 1024 * 1024;
export const DEFAULT_EXPIRES_IN = 24 * 60 * 60 * 1000;
export const DEFAULT_CLEANUP_INTERVAL = 60 * 60 * 1000;
/** How long an upload body may send nothing before it is answered 408, in milliseconds. */
export const DEFAULT_IDLE_TIMEOUT = 30 * 1000;
export const DEFAULT_MAX_CONCURRENT_UPLOADS = 10;

/** Thrown inside @tus/server when an app hook failed; the hook's own error is kept on the request. */
const HOOK_FAILED = { status_code: 500, body: 'Upload hook failed\n' };
/** Headers @tus/server would read itself; the Location is built from Koa's view of the request instead. */
const DROPPED_HEADERS = new Set(['forwarded', 'x-forwarded-proto', 'x-forwarded-host']);
const CHECKSUM_HEADER = /^([a-z0-9-]+) ([A-Za-z0-9+/]+={0,2})$/;
/** The ids this middleware issues (16 random bytes, hex): nothing else touches the file system. */
const ID = ID_FORMAT;
const newId = (): string => randomBytes(16).toString('hex');
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A host as `Location` may carry it: a name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** tus headers a browser sends or reads, plus the checksum and expiration extensions' (the forwarding headers are left out). */
const TUS_REQUEST_HEADERS: string[] = [
  ...HEADERS.filter((h) => !/^(x-forwarded-|forwarded$)/i.test(h)),
  'Upload-Checksum',
];
const TUS_RESPONSE_HEADERS: string[] = TUS_REQUEST_HEADERS.concat('Upload-Expires', 'Tus-Checksum-Algorithm');
const KNOWN_OPTIONS = new Set([
  'path',
  'directory',
  'maxSize',
  'expiresIn',
  'cleanupInterval',
  'idleTimeout',
  'maxConcurrentUploads',
  'clientId',
  'relativeLocation',
  'baseUrl',
  'allowedOrigins',
  'allowedHeaders',
  'exposedHeaders',
  'allowedCredentials',
  'locker',
  'onUploadCreate',
  'onUploadFinish',
  'authorize',
]);
/** A path prefix: one leading slash, never `//` (a protocol-relative URL would point at another host). */
const PREFIX = /^\/(?!\/)[^\s?#\\]*$/;

function nonNegativeInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw optionError('resumableUpload', `"${name}" option must be a non-negative integer`);
  }
  return value;
}

function headerList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((h) => typeof h !== 'string' || !HEADER_NAME.test(h))) {
    throw optionError('resumableUpload', `"${name}" option must be an array of header names`);
  }
  return [...value];
}

function checkBaseUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username !== '' ||
    url.password !== '' ||
    url.pathname !== '/' ||
    (value as string).includes('?') ||
    (value as string).includes('#')
  ) {
    throw optionError(
      'resumableUpload',
      '"baseUrl" option must be an http(s) origin such as "https://uploads.example.com"',
    );
  }
  return url.origin;
}

/** The metadata an `onUploadCreate` returned, when it returned some (string values only). */
function metadataOf(result: unknown): Record<string, string> | undefined {
  const metadata = (result as { metadata?: unknown } | null | undefined)?.metadata;
  if (metadata === undefined) return undefined;
  if (!isPlainObject(metadata) || Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw new TypeError('onUploadCreate must return { metadata } with string values');
  }
  return { ...metadata } as Record<string, string>;
}

function hasBody(ctx: Context): boolean {
  const length = ctx.get('content-length');
  return ctx.get('transfer-encoding') !== '' || (length !== '' && length !== '0');
}

function checkHook(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function')
    throw optionError('resumableUpload', `"${name}" option must be a function`);
}

/**
 * tus 1.0 resumable uploads mounted at `path`, built on @tus/server 2 and @tus/file-store: core protocol,
 * creation, creation-with-upload, creation-defer-length, termination and expiration from the library;
 * checksum and concatenation (tus-js-client `parallelUploads`) added here. Errors follow the kit's
 * contract (HttpError with a code and `Tus-Resumable` in `err.headers`).
 */
export function resumableUpload(options: ResumableUploadOptions): Middleware {
  if (!isPlainObject(options)) throw optionError('resumableUpload', 'options must be an object');
  rejectUnknownOptions('resumableUpload', options, KNOWN_OPTIONS);
  const mount = options.path;
  if (typeof mount !== 'string' || !/^\/[^?#\s]*$/.test(mount) || mount === '/' || mount.endsWith('/')) {
    throw optionError(
      'resumableUpload',
      '"path" option must be a path such as "/files" (leading slash, no trailing slash)',
    );
  }
  if (typeof options.directory !== 'string' || options.directory === '') {
    throw optionError('resumableUpload', '"directory" option must be a non-empty string');
  }
  const directory = path.resolve(options.directory);
  const maxSize = nonNegativeInteger(options.maxSize, 'maxSize', DEFAULT_MAX_SIZE);
  const expiresIn = nonNegativeInteger(options.expiresIn, 'expiresIn', DEFAULT_EXPIRES_IN);
  const cleanupInterval = nonNegativeInteger(options.cleanupInterval, 'cleanupInterval', DEFAULT_CLEANUP_INTERVAL);
  const idleTimeout = nonNegativeInteger(options.idleTimeout, 'idleTimeout', DEFAULT_IDLE_TIMEOUT);
  const maxConcurrentUploads = nonNegativeInteger(
    options.maxConcurrentUploads,
    'maxConcurrentUploads',
    DEFAULT_MAX_CONCURRENT_UPLOADS,
  );
  if (options.relativeLocation !== undefined && typeof options.relativeLocation !== 'boolean') {
    throw optionError('resumableUpload', '"relativeLocation" option must be a boolean');
  }
  const relativeLocation = options.relativeLocation ?? false;
  let allowedOrigins: string[] | undefined;
  if (options.allowedOrigins !== undefined) {
    if (!Array.isArray(options.allowedOrigins) || options.allowedOrigins.some((o) => typeof o !== 'string')) {
      throw optionError('resumableUpload', '"allowedOrigins" option must be an array of origins');
    }
    allowedOrigins = [...options.allowedOrigins];
  }
  const allowedHeaders = TUS_REQUEST_HEADERS.concat(headerList(options.allowedHeaders, 'allowedHeaders')).join(', ');
  const exposedHeaders = TUS_RESPONSE_HEADERS.concat(headerList(options.exposedHeaders, 'exposedHeaders')).join(', ');
  if (options.allowedCredentials !== undefined && typeof options.allowedCredentials !== 'boolean') {
    throw optionError('resumableUpload', '"allowedCredentials" option must be a boolean');
  }
  const allowedCredentials = options.allowedCredentials ?? false;
  if (allowedCredentials && !allowedOrigins) {
    // Browsers refuse credentials with `Access-Control-Allow-Origin: *`.
    throw optionError('resumableUpload', '"allowedCredentials" option needs "allowedOrigins"');
  }
  const baseUrl = checkBaseUrl(options.baseUrl);
  const locker = options.locker ?? new MemoryLocker();
  if (typeof locker !== 'object' || locker === null || typeof locker.newLock !== 'function') {
    throw optionError('resumableUpload', '"locker" option must have a newLock(id) method');
  }
  checkHook(options.onUploadCreate, 'onUploadCreate');
  checkHook(options.onUploadFinish, 'onUploadFinish');
  checkHook(options.authorize, 'authorize');
  checkHook(options.clientId, 'clientId');
  const { onUploadCreate, onUploadFinish, authorize, clientId } = options;

  mkdirSync(directory, { recursive: true });
  const store = new KitFileStore({ directory, expirationPeriodInMilliseconds: expiresIn, maxSize, idleTimeout });

  const finishedOf = (upload: {
    id: string;
    size?: number;
    offset: number;
    metadata?: Record<string, string | null>;
  }) => ({
    id: upload.id,
    path: store.filePath(upload.id),
    size: upload.size ?? upload.offset,
    metadata: { ...(upload.metadata ?? {}) },
  });

  const runHook = async <R>(request: TusRequest, hook: () => R | Promise<R>, refuse?: string): Promise<R> => {
    try {
      return await hook();
    } catch (error) {
      request.hookError = error;
      request.refusedUpload = refuse;
      throw HOOK_FAILED;
    }
  };

  // Locker health: an outage is reported once on the app, when its first request fails; the 503s
  // themselves are exposed (generic text), so an error handler logs none of them one by one.
  let lockerDown = false;
  const lockWatched = async (
    ctx: Context | undefined,
    lock: UploadLock,
    signal: AbortSignal,
    requestRelease: () => void | Promise<void>,
  ): Promise<void> => {
    try {
      await lock.lock(signal, requestRelease);
    } catch (error) {
      if (isHttpError(error) && error.code === C.lockerUnavailable && !lockerDown) {
        lockerDown = true;
        const cause = (error as { cause?: unknown }).cause ?? error;
        const why = cause instanceof Error ? cause.message : String(cause);
        ctx?.app.emit('error', httpError(503, C.lockerError, `upload locker failed: ${why}`, undefined, cause), ctx);
      }
      throw error;
    }
    lockerDown = false;
  };

  /**
   * The app's locker, recording which request holds each upload's lock in `store.owners`: how the
   * store knows the request it writes for (an AsyncLocalStorage did this before, but keeps Node's
   * async hooks on for the whole process, which cost uploads a fifth of their rate).
   */
  const lockerFor = (request: TusRequest | undefined): UploadLocker => ({
    newLock(id: string): UploadLock {
      const inner = locker.newLock(id);
      return {
        async lock(signal, requestRelease) {
          await lockWatched(request?.ctx, inner, signal, requestRelease);
          if (request) store.owners.set(id, request);
        },
        async unlock() {
          if (store.owners.get(id) === request) store.owners.delete(id);
          await inner.unlock();
        },
      };
    },
  });

  const server = new Server({
    path: mount,
    datastore: store,
    maxSize,
    locker: ((req: unknown) => lockerFor(requestOf(req))) as any,
    namingFunction: newId,
    generateUrl: (req, { id }) => `${requestOf(req)!.base}/${encodeURIComponent(id)}`,
    onUploadCreate: async (req, upload) => {
      const request = requestOf(req)!;
      if (onUploadCreate) {
        const info: ResumableUploadInfo = {
          id: upload.id,
          size: upload.size,
          metadata: { ...(upload.metadata ?? {}) },
          concat: request.partial ? 'partial' : undefined,
        };
        const result = await runHook(request, () => onUploadCreate(request.ctx, info));
        const replaced = metadataOf(result);
        if (replaced) return { metadata: replaced };
      }
      return {};
    },
    onUploadFinish: async (req, upload) => {
      const request = requestOf(req)!;
      const { found } = request;
      // Pieces of a parallel upload are not files of their own; a PATCH to a finished upload is no news.
      if (request.partial || found?.concat === 'partial') return {};
      if (found && found.size !== undefined && found.offset === found.size) return {};
      if (onUploadFinish) await runHook(request, () => onUploadFinish(request.ctx, finishedOf(upload)), upload.id);
      return {};
    },
    onResponseError: (req, error) => {
      const request = requestOf(req);
      if (request) request.tusError = error;
      return undefined;
    },
  });

  /** Upload bodies being received, per client id (entries go when they reach 0). */
  const bodiesInFlight = new Map<string, number>();
  const clientIdOf = (ctx: Context): string => {
    if (!clientId) return ctx.ip;
    const value = clientId(ctx);
    if (typeof value !== 'string' || value === '') throw httpError(500, C.hookFailed, 'clientId must return a string');
    return value;
  };

  let nextSweep = cleanupInterval > 0 && expiresIn > 0 ? Date.now() + cleanupInterval : Number.POSITIVE_INFINITY;

  const corsHeaders = (ctx: Context): Record<string, string> => {
    if (!allowedOrigins) return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': exposedHeaders };
    const origin = ctx.get('origin');
    if (!allowedOrigins.includes(origin)) return { Vary: 'Origin' };
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Expose-Headers': exposedHeaders,
      ...(allowedCredentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
      Vary: 'Origin',
    };
  };

  const fail = (ctx: Context, status: number, code: string, message: string, extra?: Record<string, string>) =>
    httpError(status, code, message, { 'Tus-Resumable': TUS_RESUMABLE, ...corsHeaders(ctx), ...extra });
  const locked = (ctx: Context) => lockTimeoutError({ 'Tus-Resumable': TUS_RESUMABLE, ...corsHeaders(ctx) });
  /**
   * A locker's refusal as the client gets it: @tus/server's lock timeout is 423; an HttpError a
   * locker threw (423, 503 `UPLOAD_LOCKER_UNAVAILABLE`, ...) passes through with its status, code and
   * headers, plus `Tus-Resumable` and CORS. `undefined` for anything else.
   */
  const fromLocker = (ctx: Context, error: unknown) => {
    if (error === ERRORS.ERR_LOCK_TIMEOUT) return locked(ctx);
    if (!isHttpError(error)) return undefined;
    error.headers = { ...(error.headers ?? {}), 'Tus-Resumable': TUS_RESUMABLE, ...corsHeaders(ctx) };
    return error;
  };

  const publicBase = (ctx: Context): string => {
    const original = ctx.originalUrl.split('?', 1)[0]!;
    let prefix = original.endsWith(ctx.path) ? original.slice(0, original.length - ctx.path.length) : '';
    const forwarded = ctx.app.proxy ? ctx.get('x-forwarded-prefix').trim().replace(/\/+$/, '') : '';
    if (forwarded && PREFIX.test(forwarded)) prefix = forwarded + prefix;
    // ctx.path is the path this middleware sees; the collection is `mount` within it.
    const collection = `${prefix}${mount}`;
    if (relativeLocation) return collection;
    if (baseUrl) return `${baseUrl}${collection}`;
    const { protocol, host } = ctx;
    // A forged protocol (`X-Forwarded-Proto: javascript`) or host never becomes part of the URL: a path does.
    if ((protocol !== 'http' && protocol !== 'https') || !HOST.test(host)) return collection;
    return `${protocol}://${host}${collection}`;
  };

  const idOf = (url: string): string | undefined => {
    let pathname: string;
    try {
      pathname = new URL(url, 'http://tus.invalid').pathname;
    } catch {
      return undefined;
    }
    const slash = pathname.lastIndexOf('/');
    let id: string;
    try {
      id = decodeURIComponent(pathname.slice(slash + 1));
    } catch {
      return undefined;
    }
    if (!ID.test(id) || !pathname.slice(0, slash).endsWith(mount)) return undefined;
    return id;
  };

  const createFinal = async (ctx: Context, request: TusRequest, concat: string): Promise<void> => {
    if (ctx.get('tus-resumable') !== TUS_RESUMABLE) {
      throw fail(ctx, 412, C.versionUnsupported, 'Tus-Resumable 1.0.0 required', { 'Tus-Version': TUS_RESUMABLE });
    }
    if (ctx.get('upload-length') !== '' || ctx.get('upload-defer-length') !== '') {
      throw fail(ctx, 400, C.concatInvalid, 'A final upload must not carry Upload-Length');
    }
    const urls = concat.slice('final;'.length).trim().split(/ +/).filter(Boolean);
    const ids = urls.map((url) => idOf(url));
    if (urls.length === 0 || ids.some((id) => id === undefined)) {
      throw fail(ctx, 400, C.concatInvalid, 'Upload-Concat must list partial upload URLs of this endpoint');
    }
    // Each partial once: a list repeating one would multiply its bytes on disk.
    if (new Set(ids).size !== ids.length) throw fail(ctx, 400, C.concatInvalid, 'Upload-Concat lists a partial twice');
    const locks = await lockAll(ctx, ids as string[]);
    try {
      await concatenateLocked(ctx, request, ids as string[], concat);
    } finally {
      await Promise.all(locks.map((lock) => lock.unlock().catch(() => {})));
    }
  };

  /** Locks every partial, in a fixed order so that two finals cannot deadlock. */
  const lockAll = async (ctx: Context, ids: string[]): Promise<UploadLock[]> => {
    const stop = new AbortController();
    // The response closes early only when the client went away (the request may close as soon as it is read).
    const onClose = () => stop.abort();
    ctx.res.once('close', onClose);
    const held: UploadLock[] = [];
    try {
      for (const id of [...ids].sort()) {
        const lock = locker.newLock(id);
        // A final request holds its partials until it is done: a release request is not honoured.
        await lockWatched(ctx, lock, stop.signal, () => {});
        held.push(lock);
      }
      return held;
    } catch (error) {
      await Promise.all(held.map((lock) => lock.unlock().catch(() => {})));
      throw fromLocker(ctx, error) ?? error;
    } finally {
      ctx.res.off('close', onClose);
    }
  };

  const concatenateLocked = async (ctx: Context, request: TusRequest, ids: string[], concat: string): Promise<void> => {
    let metadata: Record<string, string | null> = {};
    const rawMetadata = ctx.get('upload-metadata');
    if (rawMetadata !== '') {
      try {
        metadata = Metadata.parse(rawMetadata) as Record<string, string | null>;
      } catch {
        throw fail(ctx, 400, C.metadataInvalid, 'Upload-Metadata is invalid');
      }
    }
    let total = 0;
    for (const id of ids) {
      const part = await store.getUpload(id).catch(() => undefined);
      if (
        part?.concat !== 'partial' ||
        part.size === undefined ||
        part.offset !== part.size ||
        !(await allowed(ctx, 'concatenate', part))
      ) {
        throw fail(ctx, 400, C.concatInvalid, 'Upload-Concat names an upload that is not a finished partial upload');
      }
      total += part.size;
    }
    if (maxSize > 0 && total > maxSize) throw fail(ctx, 413, C.tooLarge, 'Maximum size exceeded');
    const id = newId();
    if (onUploadCreate) {
      const info: ResumableUploadInfo = { id, size: total, metadata: { ...metadata }, concat: 'final' };
      const result = await runHook(request, () => onUploadCreate(ctx, info)).catch(() => undefined);
      if (request.hookError !== undefined) {
        // A refused final leaves no partials behind: nothing else would ever use them.
        await Promise.all(ids.map((part) => store.discard(part).catch(() => {})));
        throw hookFailure(ctx, request.hookError);
      }
      metadata = metadataOf(result) ?? metadata;
    }
    const upload = Object.assign(new Upload({ id, size: total, offset: 0, metadata }), { concat });
    await store.concatenate(upload, ids);
    await Promise.all(ids.map((part) => store.discard(part)));
    if (onUploadFinish) {
      try {
        await onUploadFinish(ctx, finishedOf({ id, size: total, offset: total, metadata }));
      } catch (error) {
        await store.discard(id);
        throw hookFailure(ctx, error);
      }
    }
    ctx.status = 201;
    ctx.set({ 'Tus-Resumable': TUS_RESUMABLE, ...corsHeaders(ctx), Location: `${request.base}/${id}` });
    ctx.body = '';
  };

  /** `authorize`'s answer for an existing upload: only `true` allows. */
  const allowed = async (ctx: Context, action: ResumableUploadAction, upload: KitUpload): Promise<boolean> => {
    if (!authorize) return true;
    const info: StoredUploadInfo = {
      id: upload.id,
      size: upload.size,
      offset: upload.offset,
      metadata: { ...(upload.metadata ?? {}) },
    };
    try {
      return (await authorize(ctx, action, info)) === true;
    } catch (error) {
      throw hookFailure(ctx, error);
    }
  };

  const hookFailure = (ctx: Context, error: unknown) => {
    const extra = { 'Tus-Resumable': TUS_RESUMABLE, ...corsHeaders(ctx) };
    // An http-errors HttpError, or any Error with a 4xx/5xx status as Koa's own handler accepts it.
    const status = (error as { status?: unknown } | null)?.status;
    if (
      isHttpError(error) ||
      (error instanceof Error && Number.isInteger(status) && (status as number) >= 400 && (status as number) < 600)
    ) {
      const e = error as Error & { headers?: Record<string, string>; code?: unknown; expose?: boolean; status: number };
      e.headers = { ...(e.headers ?? {}), ...extra };
      if (typeof e.code !== 'string') e.code = C.refused;
      if (typeof e.expose !== 'boolean') e.expose = e.status < 500;
      return e;
    }
    return httpError(500, C.hookFailed, 'Upload hook failed', extra, error);
  };

  return async function resumableUpload(ctx: Context, next: Next): Promise<void> {
    let handled = true;
    try {
      handled = await handle(ctx, next);
    } catch (error) {
      // A body refused part-way (or before it was read) must not be read as the next request on this socket.
      if (!ctx.req.complete && isHttpError(error)) {
        error.headers = { ...(error.headers ?? {}), Connection: 'close' };
        lingerOnClose(ctx.req);
      }
      throw error;
    }
    if (handled && !ctx.req.complete) {
      ctx.set('Connection', 'close');
      lingerOnClose(ctx.req);
    }
  };

  /** Serves a tus request; `false` when the request went to `next`. */
  async function handle(ctx: Context, next: Next): Promise<boolean> {
    const p = ctx.path;
    let onCollection = false;
    if (p === mount || p === `${mount}/`) onCollection = true;
    else if (
      !p.startsWith(`${mount}/`) ||
      p
        .slice(mount.length + 1)
        .replace(/\/$/, '')
        .includes('/')
    )
      return next().then(() => false);
    let method = ctx.method;
    const override = ctx.get('x-http-method-override').toUpperCase();
    if (method === 'POST' && (override === 'PATCH' || override === 'DELETE' || override === 'HEAD')) method = override;
    if (onCollection && method === 'PATCH') throw fail(ctx, 404, C.notFound, 'Upload not found');
    if (
      onCollection
        ? method !== 'POST' && method !== 'OPTIONS'
        : !['HEAD', 'PATCH', 'DELETE', 'OPTIONS'].includes(method)
    ) {
      await next();
      return false;
    }
    const id = onCollection ? undefined : p.slice(mount.length + 1).replace(/\/$/, '');
    if (id !== undefined && method !== 'OPTIONS' && !ID.test(id)) throw fail(ctx, 404, C.notFound, 'Upload not found');

    if (Date.now() >= nextSweep) {
      nextSweep = Date.now() + cleanupInterval;
      void store.deleteExpired().catch(() => {});
    }

    const concat = ctx.get('upload-concat');
    const request: TusRequest = { ctx, base: publicBase(ctx), partial: method === 'POST' && concat === 'partial' };

    const checksumHeader = ctx.get('upload-checksum');
    if (checksumHeader !== '' && method !== 'OPTIONS') {
      const match = CHECKSUM_HEADER.exec(checksumHeader);
      if (!match) throw fail(ctx, 400, C.checksumInvalid, 'Upload-Checksum is malformed');
      const algorithm = match[1]!;
      if (!SUPPORTED_CHECKSUMS.includes(algorithm)) {
        throw fail(ctx, 400, C.checksumUnsupported, 'Checksum algorithm not supported', {
          'Tus-Checksum-Algorithm': SUPPORTED_CHECKSUMS.join(','),
        });
      }
      request.checksum = { algorithm, digest: Buffer.from(match[2]!, 'base64') };
    }

    if (method === 'POST' && concat.startsWith('final;')) {
      await createFinal(ctx, request, concat);
      return true;
    }
    if (
      id !== undefined &&
      method !== 'OPTIONS' &&
      (method === 'PATCH' || authorize) &&
      ctx.get('tus-resumable') === TUS_RESUMABLE
    ) {
      // A missing upload is left to @tus/server (404 or 410).
      const found = await store.getUpload(id).catch(() => undefined);
      if (found && !(await allowed(ctx, method.toLowerCase() as ResumableUploadAction, found))) {
        throw fail(ctx, 404, C.notFound, 'Upload not found');
      }
      // Checked before the offset, so that any PATCH to a final upload gets the same answer.
      if (method === 'PATCH' && found?.concat?.startsWith('final')) {
        throw fail(ctx, 403, C.finalImmutable, 'A final upload cannot be patched');
      }
    }

    const headers = new Headers();
    for (const [name, value] of Object.entries(ctx.req.headers)) {
      if (value === undefined || DROPPED_HEADERS.has(name) || name === 'x-http-method-override') continue;
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else headers.set(name, value);
    }
    const req = ctx.req;
    let body: ReadableStream | null = null;
    const tusRequest = {
      method,
      url: `http://tus.invalid${p}`,
      headers,
      get body() {
        // No bytes go through web streams: the store reads `req` itself (see KitFileStore.writeDirect).
        if (!body) {
          const direct: NonNullable<TusRequest['direct']> = { req };
          request.direct = direct;
          body = new ReadableStream({
            start(controller) {
              direct.control = controller;
            },
          });
        }
        return body;
      },
      runtime: { name: 'node', node: { req, res: ctx.res } },
      [REQUEST]: request,
    };
    const client = hasBody(ctx) ? clientIdOf(ctx) : undefined;
    if (client !== undefined) {
      const busy = bodiesInFlight.get(client) ?? 0;
      if (maxConcurrentUploads > 0 && busy >= maxConcurrentUploads) {
        throw fail(ctx, 429, C.tooManyUploads, 'Too many uploads at once', { 'Retry-After': '1' });
      }
      bodiesInFlight.set(client, busy + 1);
    }
    let response: Response;
    try {
      response = await server.handleWeb(tusRequest as unknown as Request);
    } finally {
      if (client !== undefined) {
        const left = (bodiesInFlight.get(client) ?? 1) - 1;
        if (left > 0) bodiesInFlight.set(client, left);
        else bodiesInFlight.delete(client);
      }
    }

    if (request.hookError !== undefined) {
      if (request.refusedUpload) await store.discard(request.refusedUpload).catch(() => {});
      throw hookFailure(ctx, request.hookError);
    }

    const status = response.status;
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'content-type' && name !== 'connection' && !name.startsWith('access-'))
        out[name] = value;
    });
    Object.assign(out, corsHeaders(ctx));
    if (method === 'OPTIONS') {
      for (const name of ['access-control-allow-methods', 'access-control-max-age']) {
        const value = response.headers.get(name);
        if (value) out[name] = value;
      }
      out['access-control-allow-headers'] = allowedHeaders;
    }
    if (status === 200 && method === 'HEAD' && request.found?.concat) out['upload-concat'] = request.found.concat;
    if (method === 'OPTIONS' && status < 300) out['tus-checksum-algorithm'] = SUPPORTED_CHECKSUMS.join(',');

    if (status >= 400) {
      if (!ctx.writable) {
        // The client is gone (a dropped upload): there is nobody to answer.
        ctx.respond = false;
        return true;
      }
      // No HttpError is thrown inside @tus/server but a locker's (hooks and the store throw its own errors).
      const refusal = fromLocker(ctx, request.tusError);
      if (refusal) throw refusal;
      const text = (await response.text()).trim();
      const code =
        TUS_CODES.get(request.tusError) ??
        (status === 412
          ? C.versionUnsupported
          : status === 400 && text.startsWith('Invalid ')
            ? C.headerInvalid
            : C.storageFailed);
      if (status === 412) out['tus-version'] = TUS_RESUMABLE;
      if (status === 460) {
        // Koa's error handler turns a status it does not know (460) into 500, so this one is answered here.
        ctx.status = 460;
        ctx.set(out);
        ctx.body = { status: 460, code, message: 'Checksum mismatch' };
        return true;
      }
      throw httpError(status, code, status >= 500 ? 'Upload failed' : text || 'Upload refused', out, request.tusError);
    }
    ctx.status = status;
    ctx.set(out);
    ctx.body = '';
    return true;
  }
}
