import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { ERRORS, Upload } from '@tus/utils';
import type { Context } from 'koa';
import { PositionalWriter } from './positional-writer.js';

/** What one tus request carries through @tus/server into the store and the hooks. */
export interface TusRequest {
  ctx: Context;
  /** Public URL of the collection (`https://host/prefix/files`), or its path with relativeLocation. */
  base: string;
  /** `Upload-Concat: partial` on a creation request. */
  partial: boolean;
  checksum?: { algorithm: string; digest: Buffer };
  /** The stored upload as the handler read it, before this request wrote anything. */
  found?: { id: string; offset: number; size: number | undefined; concat?: string };
  /** The error an app hook threw, and the upload to remove because of it. */
  hookError?: unknown;
  refusedUpload?: string;
  /** The tus error behind an error response. */
  tusError?: unknown;
  /**
   * The request body, read by the store straight from Node's request. @tus/server gets a web stream that
   * carries no bytes: it only ends (close) when the store is done, and the store stops when @tus/server
   * ends it first (lock released to another request, context aborted).
   */
  direct?: { req: IncomingMessage; control?: ReadableStreamDefaultController };
}

/** An upload with its `Upload-Concat` role ("partial" or "final;..."), as the store keeps it. */
export type KitUpload = Upload & { concat?: string };

/** Error objects in @tus/server's shape, for what the store adds. */
export const STORE_ERRORS = {
  CHECKSUM_MISMATCH: { status_code: 460, body: 'Checksum Mismatch\n' },
  FINAL_UPLOAD_PATCH: { status_code: 403, body: 'A final upload cannot be patched\n' },
  IDLE_TIMEOUT: { status_code: 408, body: 'Upload body idle for too long\n' },
} as const;

/** Upload as stored in the `.json` record next to the file. */
interface StoredUpload {
  id: string;
  size?: number;
  metadata?: Record<string, string | null>;
  creation_date?: string;
  concat?: string;
}

const CHECKSUM_ALGORITHMS = ['sha1', 'sha256', 'sha512', 'md5'] as const;
export const SUPPORTED_CHECKSUMS: readonly string[] = CHECKSUM_ALGORITHMS;

/** The ids uploads get (16 random bytes, hex); nothing else is a file of ours. */
export const ID_FORMAT = /^[0-9a-f]{32}$/;

/**
 * @tus/file-store's FileStore plus the checksum and concatenation extensions, and an expiration sweep
 * over every record, finished or not.
 */
export class KitFileStore extends FileStore {
  private readonly maxSize: number;
  private readonly idleTimeout: number;
  /**
   * The request holding each upload's lock (set by `lockerFor`). @tus/server calls the store with an
   * id, never the request; under the lock, the id names exactly one request.
   */
  readonly owners = new Map<string, TusRequest>();

  constructor(options: {
    directory: string;
    expirationPeriodInMilliseconds: number;
    maxSize?: number;
    idleTimeout?: number;
  }) {
    super({ directory: options.directory, expirationPeriodInMilliseconds: options.expirationPeriodInMilliseconds });
    this.maxSize = options.maxSize ?? 0;
    this.idleTimeout = options.idleTimeout ?? 0;
    this.extensions = [...this.extensions, 'checksum', 'concatenation'];
  }

  // @tus/server 2 checks for the misspelled name "concatentation" before it accepts Upload-Concat.
  override hasExtension(extension: string): boolean {
    return extension === 'concatentation' || super.hasExtension(extension);
  }

  filePath(id: string): string {
    if (!ID_FORMAT.test(id)) throw ERRORS.FILE_NOT_FOUND;
    const file = path.join(this.directory, id);
    const rel = path.relative(this.directory, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || rel.includes(path.sep)) {
      throw ERRORS.FILE_NOT_FOUND;
    }
    return file;
  }

  override async create(upload: Upload): Promise<Upload> {
    if (this.owners.get(upload.id)?.partial) (upload as KitUpload).concat = 'partial';
    return super.create(upload);
  }

  override async getUpload(id: string): Promise<KitUpload> {
    if (!ID_FORMAT.test(id)) throw ERRORS.FILE_NOT_FOUND;
    const record = (await this.configstore.get(id)) as StoredUpload | undefined;
    if (!record) throw ERRORS.FILE_NOT_FOUND;
    const file = this.filePath(id);
    let size: number;
    try {
      const stats = await stat(file);
      if (!stats.isFile()) throw ERRORS.FILE_NOT_FOUND;
      size = stats.size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw ERRORS.FILE_NO_LONGER_EXISTS;
      throw error;
    }
    const current = this.owners.get(id);
    if (current && !current.found) {
      current.found = { id, offset: size, size: record.size, concat: record.concat };
    }
    const upload = new Upload({
      id,
      size: record.size,
      offset: size,
      metadata: record.metadata,
      creation_date: record.creation_date,
      storage: { type: 'file', path: file },
    });
    return record.concat === undefined ? upload : Object.assign(upload, { concat: record.concat });
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const current = this.owners.get(id);
    if (current?.found?.id === id && current.found.concat?.startsWith('final')) throw STORE_ERRORS.FINAL_UPLOAD_PATCH;
    const checksum = current?.checksum;
    if (current?.direct) return this.writeDirect(readable, current.direct, id, offset, checksum);
    if (!checksum) return super.write(readable, id, offset);

    const hash: Hash = createHash(checksum.algorithm);
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    readable.once('error', (error) => hashing.destroy(error));
    let newOffset: number;
    try {
      newOffset = await super.write(readable.pipe(hashing), id, offset);
    } catch (error) {
      await truncate(this.filePath(id), offset).catch(() => {});
      throw error;
    }
    if (!hash.digest().equals(checksum.digest)) {
      // Discard the chunk: the offset stays where the request started.
      await truncate(this.filePath(id), offset);
      throw STORE_ERRORS.CHECKSUM_MISMATCH;
    }
    return newOffset;
  }

  /**
   * The request body into the file at `offset` with one Node pipe (what @tus/server's web-stream adapters
   * and StreamLimiter did, without their cost): the same limit (ERR_MAX_SIZE_EXCEEDED before a byte past
   * the upload's length or `maxSize` is written), the same abort (what arrived stays, ABORTED), and a stop
   * with the bytes written so far when @tus/server ends `control` (lock released to another request).
   */
  private async writeDirect(
    control: Readable,
    direct: NonNullable<TusRequest['direct']>,
    id: string,
    offset: number,
    checksum: TusRequest['checksum'],
  ): Promise<number> {
    const record = (await this.configstore.get(id)) as StoredUpload | undefined;
    const limit =
      record?.size !== undefined
        ? record.size - offset
        : this.maxSize > 0
          ? this.maxSize - offset
          : Number.MAX_SAFE_INTEGER;
    const { req } = direct;
    const hash: Hash | undefined = checksum ? createHash(checksum.algorithm) : undefined;
    const writer = new PositionalWriter(this.filePath(id), offset, limit, ERRORS.ERR_MAX_SIZE_EXCEEDED, hash);
    let aborted = false;
    let idle = false;
    // A body that stops arriving holds a descriptor and the lock: stop reading it (what arrived stays).
    const idleTimer =
      this.idleTimeout > 0
        ? setTimeout(() => {
            idle = true;
            stop();
          }, this.idleTimeout)
        : undefined;
    const onData = () => idleTimer?.refresh();
    if (idleTimer) req.on('data', onData);
    const stop = () => {
      req.unpipe(writer);
      if (!writer.writableEnded) writer.end();
    };
    const onRequestError = () => {
      aborted = true;
      stop();
    };
    const onRequestClose = () => {
      if (!req.complete) onRequestError();
    };
    const onControlEnd = () => stop();
    req.once('error', onRequestError);
    req.once('close', onRequestClose);
    control.once('end', onControlEnd);
    control.once('error', onControlEnd);
    control.resume();
    try {
      if (req.destroyed && !req.complete) onRequestError();
      else req.pipe(writer);
      try {
        await finished(writer);
      } catch (error) {
        if (checksum) await truncate(this.filePath(id), offset).catch(() => {});
        throw error === ERRORS.ERR_MAX_SIZE_EXCEEDED ? error : aborted ? ERRORS.ABORTED : ERRORS.FILE_WRITE_ERROR;
      }
      if (aborted || idle) {
        if (checksum) await truncate(this.filePath(id), offset).catch(() => {});
        throw idle ? STORE_ERRORS.IDLE_TIMEOUT : ERRORS.ABORTED;
      }
      if (hash && !hash.digest().equals(checksum!.digest)) {
        // Discard the chunk: the offset stays where the request started.
        await truncate(this.filePath(id), offset);
        throw STORE_ERRORS.CHECKSUM_MISMATCH;
      }
      return offset + writer.written;
    } finally {
      clearTimeout(idleTimer);
      req.off('data', onData);
      req.unpipe(writer);
      req.off('error', onRequestError);
      req.off('close', onRequestClose);
      control.off('end', onControlEnd);
      control.off('error', onControlEnd);
      try {
        direct.control?.close();
      } catch {
        // already closed
      }
    }
  }

  /** Creates `upload` (its size already set) as the concatenation of the finished partial uploads. */
  async concatenate(upload: Upload & { concat: string }, partIds: readonly string[]): Promise<void> {
    await super.create(upload);
    const target = this.filePath(upload.id);
    try {
      const out = createWriteStream(target, { flags: 'r+', start: 0 });
      for (const id of partIds) {
        await pipeline(createReadStream(this.filePath(id)), out, { end: false });
      }
      out.end();
      await new Promise<void>((resolve, reject) => {
        out.once('close', resolve);
        out.once('error', reject);
      });
    } catch (error) {
      await this.discard(upload.id);
      throw error;
    }
  }

  /** Removes an upload and its record; a missing file or record is fine. */
  async discard(id: string): Promise<void> {
    await rm(this.filePath(id), { force: true });
    await this.configstore.delete(id).catch(() => {});
  }

  override async deleteExpired(): Promise<number> {
    const expiration = this.getExpiration();
    if (expiration <= 0 || !this.configstore.list) return 0;
    const now = Date.now();
    let deleted = 0;
    for (const id of await this.configstore.list()) {
      const record = (await this.configstore.get(id)) as StoredUpload | undefined;
      if (!record?.creation_date || now <= Date.parse(record.creation_date) + expiration) continue;
      // Finished uploads go too: onUploadFinish had the file to move it; what stays would stay forever.
      if (!ID_FORMAT.test(id)) continue;
      await this.discard(id);
      deleted += 1;
    }
    return deleted;
  }
}
