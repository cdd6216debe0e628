import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { isPlainObject, optionError, rejectUnknownOptions } from '@koa-kit/common';
import type { Context, Middleware, Next } from 'koa';
import multer from 'multer';
import { compileAccept } from './accept.js';
import { BodySource } from './body-source.js';
import { lingerOnClose, unreadBodyIsLarge } from './connection.js';
import { httpError, isHttpError } from './errors.js';
import { sendContinue } from './expect-continue.js';
import { MemoryStorage, TrackingDiskStorage } from './storage.js';

/**
 * A file received by `upload()`: on disk under a random name (`destination`, `filename`, `path`), or
 * with `storage: 'memory'` in `buffer` (and no `destination`, `filename`, `path`, as with multer).
 */
export interface UploadedFile {
  /** Name of the form field. */
  fieldname: string;
  /** The client's file name, decoded as UTF-8. Untrusted: never use it as a path. */
  originalname: string;
  /** Transfer encoding of the part (usually `7bit`). */
  encoding: string;
  /** MIME type the client declared. Untrusted. */
  mimetype: string;
  /** Size in bytes. */
  size: number;
  /** Folder the file was written to (`dest`). */
  destination: string;
  /** Random name of the file within `destination`. */
  filename: string;
  /** Full path of the file on disk. */
  path: string;
  /** The file's bytes, with `storage: 'memory'` only. */
  buffer?: Buffer;
}

/** A file as `fileFilter` sees it, before its bytes are read. All of it comes from the client. */
export interface UploadFileInfo {
  fieldname: string;
  originalname: string;
  encoding: string;
  mimetype: string;
}

/** Limits of one multipart request. Counts are numbers of items, sizes are bytes. */
export interface UploadLimits {
  /** Largest file, in bytes. Default 10 MiB. */
  fileSize?: number;
  /** Most files in the request. Default 10. */
  files?: number;
  /** Most non-file fields. Default 100. */
  fields?: number;
  /** Largest field value, in bytes. Default 100 KiB. */
  fieldSize?: number;
  /** Longest field name, in bytes. Default 100. */
  fieldNameSize?: number;
  /** Most parts (files + fields). Default `files + fields`. */
  parts?: number;
  /**
   * Largest request body, in bytes: checked on `Content-Length` before anything is read (and before
   * `100 Continue`), counted while reading a chunked body. Default: what the other limits allow.
   */
  bodySize?: number;
  /** With `storage: 'memory'`: most bytes of all files of a request together. Default 4 MiB. */
  totalFileSize?: number;
}

/** A field of the `fields` shape. */
export interface UploadField {
  name: string;
  /** Most files in this field. Default 1. */
  maxCount?: number;
}

/** Options of `upload()`. Give at most one of `single`, `array`, `fields`, `any` (the default). */
export interface UploadOptions {
  /**
   * Where files go: `'disk'` (the default, under `dest`) or `'memory'` (`file.buffer`, for small
   * files: `limits.fileSize` defaults to 1 MiB and `limits.totalFileSize` to 4 MiB).
   */
  storage?: 'disk' | 'memory';
  /** Folder files are written to (created if missing). Default `<os tmpdir>/koa-kit-upload`. */
  dest?: string;
  /** One file in this field, on `ctx.request.file`. */
  single?: string;
  /** Files of this field, on `ctx.request.files` (an array); at most `maxCount`. */
  array?: string;
  /** With `array`: most files. Default `limits.files`. */
  maxCount?: number;
  /** Files of these fields, on `ctx.request.files` (an object of arrays keyed by field name). */
  fields?: readonly UploadField[];
  /** Files of any field, on `ctx.request.files` (an array). The default shape. */
  any?: boolean;
  /** Limits; see `UploadLimits` for the defaults. */
  limits?: UploadLimits;
  /** Accepted types: MIME types (`image/png`), patterns (`image/*`) and extensions (`.pdf`). Default: any. */
  accept?: readonly string[];
  /**
   * Keep the files after a successful response. Default `false`: they are removed once the response
   * is finished, so a handler keeps a file by moving it (`fs.rename`) or by setting `keep: true`.
   */
  keep?: boolean;
  /**
   * Decides per file, after `accept`: `true` keeps it, `false` skips it (its bytes are read and dropped),
   * a thrown HttpError (or Error with a 4xx/5xx `status`) refuses the request with it; anything else
   * refuses with 415 `FILE_TYPE_NOT_ACCEPTED`. Called before any byte of the file is written.
   */
  fileFilter?: (ctx: Context, file: UploadFileInfo) => boolean | Promise<boolean>;
  /**
   * The file's path under `dest`, e.g. `${user}/${randomUUID()}.pdf` (folders are created). Segments are
   * letters, digits, `.`, `_`, `-`, never starting with `.`; anything else is a 500 `UPLOAD_HOOK_FAILED`.
   * Default: a random hex name. An existing file at that path is overwritten.
   */
  filename?: (ctx: Context, file: UploadFileInfo) => string | Promise<string>;
  /** How long the body may send nothing, in milliseconds, before 408 (the files are removed). Default 30 s; `0`: off. */
  idleTimeout?: number;
}

/** What `upload()` puts on `ctx.state.upload`. */
export interface UploadState {
  /** Every file of the request, in arrival order, whatever the shape. */
  files: UploadedFile[];
}

/** Error codes `upload()` throws with. */
export const UploadErrorCode = {
  fileTooLarge: 'FILE_TOO_LARGE',
  tooManyFiles: 'TOO_MANY_FILES',
  tooManyFields: 'TOO_MANY_FIELDS',
  fieldTooLarge: 'FIELD_TOO_LARGE',
  fieldNameTooLong: 'FIELD_NAME_TOO_LONG',
  tooManyParts: 'TOO_MANY_PARTS',
  bodyTooLarge: 'BODY_TOO_LARGE',
  unexpectedFile: 'UNEXPECTED_FILE',
  invalidFieldName: 'INVALID_FIELD_NAME',
  malformed: 'MALFORMED_MULTIPART',
  notMultipart: 'NOT_MULTIPART',
  typeNotAccepted: 'FILE_TYPE_NOT_ACCEPTED',
  aborted: 'UPLOAD_ABORTED',
  idleTimeout: 'UPLOAD_IDLE_TIMEOUT',
  hookFailed: 'UPLOAD_HOOK_FAILED',
  storageFailed: 'UPLOAD_STORAGE_FAILED',
  filesTooLarge: 'FILES_TOO_LARGE',
} as const;

/** Limits of `storage: 'memory'` where they differ from the disk ones. */
export const DEFAULT_MEMORY_LIMITS = {
  fileSize: 1024 * 1024,
  totalFileSize: 4 * 1024 * 1024,
} as const;

export const DEFAULT_UPLOAD_LIMITS = {
  fileSize: 10 * 1024 * 1024,
  files: 10,
  fields: 100,
  fieldSize: 100 * 1024,
  fieldNameSize: 100,
} as const;

const DEFAULT_BODY_IDLE_TIMEOUT = 30 * 1000;
/** Bytes of boundary and part headers allowed per part when `bodySize` is derived. */
const PART_OVERHEAD = 1024;
const FIELD_NESTING_DEPTH = 5;
/** Buffer of busboy's parser and of each file stream, in bytes. */
const PARSER_HWM = 1024 * 1024;
const FIELD_ARRAY_INDEX_LIMIT = 1000;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'storage',
  'dest',
  'single',
  'array',
  'maxCount',
  'fields',
  'any',
  'limits',
  'accept',
  'keep',
  'fileFilter',
  'filename',
  'idleTimeout',
]);

const MULTER_CODES: Record<string, [number, string, string]> = {
  LIMIT_FILE_SIZE: [413, UploadErrorCode.fileTooLarge, 'File too large'],
  LIMIT_FILE_COUNT: [413, UploadErrorCode.tooManyFiles, 'Too many files'],
  LIMIT_FIELD_COUNT: [413, UploadErrorCode.tooManyFields, 'Too many fields'],
  LIMIT_FIELD_VALUE: [413, UploadErrorCode.fieldTooLarge, 'Field value too large'],
  LIMIT_FIELD_KEY: [413, UploadErrorCode.fieldNameTooLong, 'Field name too long'],
  LIMIT_PART_COUNT: [413, UploadErrorCode.tooManyParts, 'Too many parts'],
  MISSING_FIELD_NAME: [400, UploadErrorCode.invalidFieldName, 'Field name missing'],
  INVALID_FIELD_NAME: [400, UploadErrorCode.invalidFieldName, 'Invalid field name'],
  LIMIT_FIELD_NESTING: [400, UploadErrorCode.invalidFieldName, 'Field name nested too deep'],
  LIMIT_FIELD_ARRAY_INDEX: [400, UploadErrorCode.invalidFieldName, 'Field name array index too large'],
};

function positiveInteger(value: unknown, name: string, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw optionError('upload', `"${name}" option must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return value;
}

type Shape =
  | { kind: 'single'; name: string }
  | { kind: 'array'; name: string; maxCount: number }
  | { kind: 'fields'; fields: { name: string; maxCount: number }[] }
  | { kind: 'any' };

function checkShape(options: UploadOptions, files: number): Shape {
  const given = (['single', 'array', 'fields', 'any'] as const).filter((k) => options[k] !== undefined);
  if (given.length > 1) throw optionError('upload', `"${given.join('", "')}" options cannot be used together`);
  if (options.maxCount !== undefined && options.array === undefined) {
    throw optionError('upload', '"maxCount" option only goes with "array"');
  }
  const fieldName = (value: unknown, option: string): string => {
    if (typeof value !== 'string' || value === '')
      throw optionError('upload', `"${option}" option must be a non-empty string`);
    return value;
  };
  if (options.single !== undefined) return { kind: 'single', name: fieldName(options.single, 'single') };
  if (options.array !== undefined) {
    const maxCount = options.maxCount === undefined ? files : positiveInteger(options.maxCount, 'maxCount');
    return { kind: 'array', name: fieldName(options.array, 'array'), maxCount };
  }
  if (options.fields !== undefined) {
    if (!Array.isArray(options.fields) || options.fields.length === 0) {
      throw optionError('upload', '"fields" option must be a non-empty array of { name, maxCount? }');
    }
    const fields = options.fields.map((field: unknown) => {
      if (!isPlainObject(field))
        throw optionError('upload', '"fields" option must be a non-empty array of { name, maxCount? }');
      const name = fieldName(field.name, 'fields[].name');
      const maxCount = field.maxCount === undefined ? 1 : positiveInteger(field.maxCount, 'fields[].maxCount');
      return { name, maxCount };
    });
    return { kind: 'fields', fields };
  }
  if (options.any !== undefined && options.any !== true)
    throw optionError('upload', '"any" option must be true when given');
  return { kind: 'any' };
}

function checkLimits(limits: unknown, shape: Shape, inMemory: boolean): Required<UploadLimits> {
  if (limits !== undefined && !isPlainObject(limits)) throw optionError('upload', '"limits" option must be an object');
  const given = (limits ?? {}) as Record<string, unknown>;
  const known = ['fileSize', 'files', 'fields', 'fieldSize', 'fieldNameSize', 'parts', 'bodySize', 'totalFileSize'];
  for (const key of Object.keys(given)) {
    if (!known.includes(key))
      throw optionError('upload', `unknown option "limits.${key}" (known: ${known.join(', ')})`);
  }
  const pick = (key: keyof typeof DEFAULT_UPLOAD_LIMITS, allowZero: boolean) =>
    given[key] === undefined ? DEFAULT_UPLOAD_LIMITS[key] : positiveInteger(given[key], `limits.${key}`, allowZero);
  const fileSize = inMemory && given.fileSize === undefined ? DEFAULT_MEMORY_LIMITS.fileSize : pick('fileSize', false);
  if (!inMemory && given.totalFileSize !== undefined) {
    throw optionError('upload', '"limits.totalFileSize" goes with storage: "memory" only (on disk, use "bodySize")');
  }
  const totalFileSize = !inMemory
    ? Number.POSITIVE_INFINITY
    : given.totalFileSize === undefined
      ? DEFAULT_MEMORY_LIMITS.totalFileSize
      : positiveInteger(given.totalFileSize, 'limits.totalFileSize');
  const files = pick('files', true);
  const fields = pick('fields', true);
  const fieldSize = pick('fieldSize', true);
  const fieldNameSize = pick('fieldNameSize', false);
  const parts = given.parts === undefined ? files + fields : positiveInteger(given.parts, 'limits.parts', true);
  const maxFiles =
    shape.kind === 'single'
      ? 1
      : shape.kind === 'array'
        ? Math.min(shape.maxCount, files)
        : shape.kind === 'fields'
          ? Math.min(
              shape.fields.reduce((n, f) => n + f.maxCount, 0),
              files,
            )
          : files;
  const derived = maxFiles * fileSize + fields * (fieldSize + fieldNameSize) + parts * PART_OVERHEAD + PART_OVERHEAD;
  const bodySize = given.bodySize === undefined ? derived : positiveInteger(given.bodySize, 'limits.bodySize');
  return { fileSize, files, fields, fieldSize, fieldNameSize, parts, bodySize, totalFileSize };
}

function allFiles(files: unknown, file: unknown): UploadedFile[] {
  if (file) return [file as UploadedFile];
  if (Array.isArray(files)) return files as UploadedFile[];
  if (files && typeof files === 'object') return Object.values(files as Record<string, UploadedFile[]>).flat();
  return [];
}

/**
 * Multipart/form-data uploads to disk, built on @koa/multer and multer 2. Files get random names under
 * `dest`, client file names are read as UTF-8, limits have safe defaults, and every file written for
 * a request that fails (limit, type, aborted connection, an error thrown downstream) is removed.
 */
export function upload(options: UploadOptions = {}): Middleware {
  if (!isPlainObject(options)) throw optionError('upload', 'options must be an object');
  rejectUnknownOptions('upload', options, KNOWN_OPTIONS);
  const storageKind = options.storage ?? 'disk';
  if (storageKind !== 'disk' && storageKind !== 'memory') {
    throw optionError('upload', '"storage" option must be "disk" or "memory" (multer storage engines are not taken)');
  }
  const inMemory = storageKind === 'memory';
  if (inMemory) {
    for (const key of ['dest', 'filename', 'keep'] as const) {
      if (options[key] !== undefined) {
        throw optionError('upload', `"${key}" option does not go with storage: "memory" (files are not written)`);
      }
    }
  }
  const dest = options.dest ?? path.join(tmpdir(), 'koa-kit-upload');
  if (typeof dest !== 'string' || dest === '') throw optionError('upload', '"dest" option must be a non-empty string');
  if (options.keep !== undefined && typeof options.keep !== 'boolean') {
    throw optionError('upload', '"keep" option must be a boolean');
  }
  const keep = options.keep ?? false;
  const idleTimeout = options.idleTimeout ?? DEFAULT_BODY_IDLE_TIMEOUT;
  if (typeof idleTimeout !== 'number' || !Number.isSafeInteger(idleTimeout) || idleTimeout < 0) {
    throw optionError('upload', '"idleTimeout" option must be a non-negative integer');
  }
  const accepts = compileAccept(options.accept);
  const { fileFilter } = options;
  if (fileFilter !== undefined && typeof fileFilter !== 'function') {
    throw optionError('upload', '"fileFilter" option must be a function');
  }
  const limits0 = options.limits;
  const shape = checkShape(
    options,
    (isPlainObject(limits0) && (limits0.files as number)) || DEFAULT_UPLOAD_LIMITS.files,
  );
  const limits = checkLimits(limits0, shape, inMemory);
  const expectedFields = new Set(
    shape.kind === 'single' || shape.kind === 'array'
      ? [shape.name]
      : shape.kind === 'fields'
        ? shape.fields.map((f) => f.name)
        : [],
  );

  const { filename } = options;
  if (filename !== undefined && typeof filename !== 'function') {
    throw optionError('upload', '"filename" option must be a function');
  }
  if (!inMemory) mkdirSync(dest, { recursive: true });
  const storage = inMemory
    ? new MemoryStorage(limits.totalFileSize)
    : new TrackingDiskStorage(
        path.resolve(dest),
        filename
          ? async (req, file: UploadFileInfo) => {
              const ctx = contexts.get(req);
              if (!ctx) return undefined;
              let chosen: unknown;
              try {
                chosen = await filename(ctx, {
                  fieldname: file.fieldname,
                  originalname: file.originalname,
                  encoding: file.encoding,
                  mimetype: file.mimetype,
                });
              } catch (error) {
                throw hookError(error);
              }
              if (!isSafeRelativePath(chosen)) {
                throw httpError(500, UploadErrorCode.hookFailed, 'filename returned an unsafe path');
              }
              return chosen;
            }
          : undefined,
      );

  const instance = multer({
    storage: storage as any,
    defParamCharset: 'utf8',
    limits: {
      fileSize: limits.fileSize,
      files: limits.files,
      fields: limits.fields,
      fieldSize: limits.fieldSize,
      fieldNameSize: limits.fieldNameSize,
      parts: limits.parts,
      fieldNestingDepth: FIELD_NESTING_DEPTH,
      fieldArrayIndexLimit: FIELD_ARRAY_INDEX_LIMIT,
    } as any,
    fileFilter:
      accepts || fileFilter
        ? (req: object, file: UploadFileInfo, cb: (err: any, ok?: boolean) => void) => {
            if (accepts && !accepts(file.mimetype, file.originalname)) {
              cb(httpError(415, UploadErrorCode.typeNotAccepted, 'File type not accepted'));
              return;
            }
            const ctx = contexts.get(req);
            if (!fileFilter || !ctx) {
              cb(null, true);
              return;
            }
            const info: UploadFileInfo = {
              fieldname: file.fieldname,
              originalname: file.originalname,
              encoding: file.encoding,
              mimetype: file.mimetype,
            };
            Promise.resolve()
              .then(() => fileFilter(ctx, info))
              .then(
                (verdict) =>
                  verdict === true || verdict === false
                    ? cb(null, verdict)
                    : cb(httpError(415, UploadErrorCode.typeNotAccepted, 'File type not accepted')),
                (error: unknown) => cb(hookError(error)),
              );
          }
        : undefined,
    streamHandler: countBody(limits.bodySize, idleTimeout),
    // busboy's defaults (16 KiB) cut the body into small pieces and pause often; 1 MiB keeps memory flat.
    highWaterMark: PARSER_HWM,
    fileHwm: PARSER_HWM,
  } as any);

  const parse = asKoa(
    shape.kind === 'single'
      ? instance.single(shape.name)
      : shape.kind === 'array'
        ? instance.array(shape.name, shape.maxCount)
        : shape.kind === 'fields'
          ? instance.fields(shape.fields)
          : instance.any(),
  );

  const mapError = (err: any, ctx: Context) => {
    if (isHttpError(err)) return err;
    const code = err?.code;
    if (code === 'LIMIT_UNEXPECTED_FILE') {
      return expectedFields.has(err.field)
        ? httpError(413, UploadErrorCode.tooManyFiles, 'Too many files', undefined, err)
        : httpError(400, UploadErrorCode.unexpectedFile, 'Unexpected file field', undefined, err);
    }
    const mapped = typeof code === 'string' ? MULTER_CODES[code] : undefined;
    if (mapped) return httpError(mapped[0], mapped[1], mapped[2], undefined, err);
    if (!ctx.req.complete && (ctx.req.destroyed || code === 'STREAM_DESTROYED' || code === 'ECONNRESET')) {
      return httpError(400, UploadErrorCode.aborted, 'Upload aborted', undefined, err);
    }
    if (typeof err?.syscall === 'string' || (typeof code === 'string' && /^E[A-Z]+$/.test(code))) {
      return httpError(500, UploadErrorCode.storageFailed, 'Could not store the upload', undefined, err);
    }
    return httpError(400, UploadErrorCode.malformed, 'Malformed multipart body', undefined, err);
  };

  return async function upload(ctx: Context, next: Next): Promise<void> {
    if (!ctx.request.is('multipart/form-data')) {
      const length = ctx.get('content-length');
      const hasBody = ctx.get('transfer-encoding') !== '' || (length !== '' && length !== '0');
      if (hasBody) {
        throw httpError(415, UploadErrorCode.notMultipart, 'Expected multipart/form-data', {
          'Accept-Post': 'multipart/form-data',
          ...closeIfLarge(ctx),
        });
      }
      return next();
    }
    const length = ctx.request.length;
    if (length !== undefined && length > limits.bodySize) {
      throw httpError(413, UploadErrorCode.bodyTooLarge, 'Request body too large', closeIfLarge(ctx));
    }
    sendContinue(ctx.req);
    const source = new BodySource(ctx.req);
    const files = storage.begin(source);
    contexts.set(source, ctx);
    let parsed = false;
    try {
      await parse(ctx, source, () => {
        parsed = true;
        ctx.state.upload = { files: allFiles(ctx.request.files, ctx.request.file) };
        return next();
      });
    } catch (err) {
      await files.removeAll();
      const refusal = parsed ? err : mapError(err, ctx);
      // The unread rest of a refused body must not be read as the next request on this connection,
      // and a large one is not read at all (see BodySource): the connection closes after the answer.
      if (
        !parsed &&
        isHttpError(refusal) &&
        (source.mustClose() || (refusal as { code?: unknown }).code === UploadErrorCode.idleTimeout)
      ) {
        refusal.headers = { ...refusal.headers, Connection: 'close' };
        lingerOnClose(ctx.req);
      }
      throw refusal;
    }
    if (!keep) {
      if (ctx.res.writableFinished || ctx.res.destroyed) void files.removeAll();
      else ctx.res.once('close', () => void files.removeAll());
    }
  };
}

/** `Connection: close` for a refusal sent before the body is read, unless the body is small (Node then reads it). */
function closeIfLarge(ctx: Context): Record<string, string> {
  if (!unreadBodyIsLarge(ctx.req)) return {};
  lingerOnClose(ctx.req);
  return { Connection: 'close' };
}

/** multer's stream handler, plus a byte count for bodies sent without `Content-Length` and an idle timer. */
function countBody(max: number, idleTimeout: number) {
  return function pipeBody(source: BodySource, busboy: Writable): void {
    const req: Readable & { headers: Record<string, unknown> } = source.req;
    if (idleTimeout > 0) {
      const timer = setTimeout(() => {
        const err = httpError(408, UploadErrorCode.idleTimeout, 'Upload body idle for too long');
        busboy.destroy(err);
        // Answered at once: multer's answer waits until it has let go of the body.
        idleRefusals.get(source)?.(err);
      }, idleTimeout);
      const refresh = () => timer.refresh();
      req.on('data', refresh);
      const done = () => {
        clearTimeout(timer);
        req.off('data', refresh);
      };
      req.once('end', done);
      req.once('close', done);
      busboy.once('close', done);
    }
    if (req.headers['content-length'] === undefined) {
      let received = 0;
      const count = (chunk: Buffer) => {
        received += chunk.length;
        if (received > max) {
          req.off('data', count);
          busboy.destroy(httpError(413, UploadErrorCode.bodyTooLarge, 'Request body too large'));
        }
      };
      req.on('data', count);
    }
    source.feed(busboy);
  };
}

const PATH_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;

/** A relative path of plain segments (no `..`, no dotfiles, no separators but `/`), at most 16 deep. */
function isSafeRelativePath(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 1024) return false;
  const segments = value.split('/');
  return segments.length <= 16 && segments.every((segment) => PATH_SEGMENT.test(segment));
}

/** The Koa context of each request multer parses (multer's hooks get the Node request). */
const contexts = new WeakMap<object, Context>();

/** An app hook's error as the client gets it: its own HttpError (or 4xx/5xx Error), else a hidden 500. */
function hookError(error: unknown): unknown {
  const status = (error as { status?: unknown } | null)?.status;
  if (isHttpError(error)) return error;
  if (error instanceof Error && Number.isInteger(status) && (status as number) >= 400 && (status as number) < 600) {
    const e = error as Error & { code?: unknown; expose?: boolean; status: number };
    return httpError(
      e.status,
      typeof e.code === 'string' ? e.code : UploadErrorCode.typeNotAccepted,
      e.message,
      undefined,
      e,
    );
  }
  return httpError(500, UploadErrorCode.hookFailed, 'Upload hook failed', undefined, error);
}

/** How the idle timer of a request refuses it without waiting for multer (set while multer runs). */
const idleRefusals = new WeakMap<object, (err: unknown) => void>();

type NodeMiddleware = (req: any, res: any, callback: (err?: unknown) => void) => void;

/** What @koa/multer does: run multer's middleware (on the request's stand-in), then move what it parsed onto `ctx.request`. */
function asKoa(
  middleware: NodeMiddleware,
): (ctx: Context, source: BodySource, next: () => Promise<void>) => Promise<void> {
  return async (ctx, source, next) => {
    try {
      await new Promise<void>((resolve, reject) => {
        idleRefusals.set(source, reject);
        middleware(source, ctx.res, (err) => (err ? reject(err) : resolve()));
      });
    } finally {
      idleRefusals.delete(source);
    }
    const parsed = source as BodySource & { body?: unknown; file?: UploadedFile; files?: unknown };
    ctx.request.body = parsed.body;
    // On ctx too, where @koa/multer puts them.
    if (parsed.file) ctx.request.file = ctx.file = parsed.file;
    if (parsed.files) ctx.request.files = ctx.files = parsed.files as UploadedFile[];
    return next();
  };
}
