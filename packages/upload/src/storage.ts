import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import multer from 'multer';
import { httpError } from './errors.js';

/** The request multer was given (a BodySource), as its storage engines see it. */
type Req = object;

/** The slice of multer's StorageEngine contract we use. */
interface Engine {
  _handleFile(req: Req, file: any, cb: (err?: any, info?: any) => void): void;
  _removeFile(req: Req, file: any, cb: (err: Error | null) => void): void;
}

/** Every file written for one request, so that all of them can be removed whatever happened. */
export class RequestFiles {
  closed = false;
  /** Bytes held in memory for this request (memory storage). */
  inMemory = 0;
  private readonly files = new Set<{ path?: string }>();

  constructor(
    private readonly engine: Engine,
    private readonly req: Req,
  ) {}

  add(file: { path?: string }): void {
    this.files.add(file);
  }

  /** Removes every file (waiting for open write streams to close); missing files are fine. */
  removeAll(): Promise<void> {
    this.closed = true;
    const pending: Promise<void>[] = [];
    for (const file of this.files) {
      if (typeof file.path !== 'string') continue;
      pending.push(new Promise((resolve) => this.engine._removeFile(this.req, file, () => resolve())));
    }
    this.files.clear();
    return Promise.all(pending).then(() => undefined);
  }
}

/** multer's own default: 16 random bytes, hex. */
function randomName(): string {
  return randomBytes(16).toString('hex');
}

const tracked = new WeakMap<Req, RequestFiles>();

/**
 * multer's disk storage (random hex names, never the client's name) wrapped so that every file it
 * starts is recorded for its request, and a file that finishes after the request failed is removed.
 */
export class TrackingDiskStorage implements Engine {
  private readonly disk: Engine;

  /** `name` gives a file's path under `destination` (already checked), or undefined for a random name. */
  constructor(
    readonly destination: string,
    name?: (req: Req, file: any) => Promise<string | undefined>,
  ) {
    this.disk = multer.diskStorage(
      (name
        ? {
            destination,
            filename: (req: Req, file: any, cb: (err: any, filename?: string) => void) => {
              name(req, file)
                .then(async (chosen) => {
                  if (chosen === undefined) return randomName();
                  await mkdir(path.dirname(path.join(destination, chosen)), { recursive: true });
                  return chosen;
                })
                .then((chosen) => cb(null, chosen), cb);
            },
          }
        : { destination }) as any,
    ) as unknown as Engine;
  }

  begin(req: Req): RequestFiles {
    const files = new RequestFiles(this, req);
    tracked.set(req, files);
    return files;
  }

  _handleFile(req: Req, file: any, cb: (err?: any, info?: any) => void): void {
    const files = tracked.get(req);
    if (!files || files.closed) {
      file.stream.resume();
      cb(new Error('the upload was closed'));
      return;
    }
    files.add(file);
    // busboy stops passing bytes at `fileSize` but ends the file only with its part: multer would wait
    // for that (forever, if the client keeps sending). The file is refused anyway: end it now.
    file.stream.once('limit', () => file.stream.destroy(new Error('file over limits.fileSize')));
    this.disk._handleFile(req, file, (err, info) => {
      if (!err && files.closed && info?.path) {
        // Finished writing after the request failed and the others were removed: remove it too.
        this.disk._removeFile(req, { ...file, ...info }, () => cb(new Error('the upload was closed')));
        return;
      }
      cb(err, info);
    });
  }

  _removeFile(req: Req, file: any, cb: (err: Error | null) => void): void {
    if (typeof file.path !== 'string') {
      cb(null);
      return;
    }
    this.disk._removeFile(req, file, (err) => cb(err && (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : err));
  }
}

/**
 * Files into `file.buffer` (multer's memoryStorage), counted in bytes as they arrive: a file over
 * the request's `totalFileSize` is refused with 413 FILES_TOO_LARGE and its bytes are dropped. The
 * size of each file is capped by busboy (`limits.fileSize`), whatever the client declared.
 */
export class MemoryStorage implements Engine {
  constructor(private readonly totalFileSize: number) {}

  begin(req: Req): RequestFiles {
    const files = new RequestFiles(this, req);
    tracked.set(req, files);
    return files;
  }

  _handleFile(req: Req, file: { stream: Readable }, cb: (err?: any, info?: any) => void): void {
    const files = tracked.get(req);
    const stream = file.stream;
    if (!files || files.closed) {
      stream.resume();
      cb(new Error('the upload was closed'));
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: unknown, info?: { buffer: Buffer; size: number }) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      chunks = [];
      if (err) {
        files.inMemory -= size;
        stream.resume(); // the rest of this file is read and dropped by the parser
      }
      cb(err, info);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      files.inMemory += chunk.length;
      if (files.closed) settle(new Error('the upload was closed'));
      else if (files.inMemory > this.totalFileSize) {
        settle(httpError(413, 'FILES_TOO_LARGE', 'Files too large together'));
      } else chunks.push(chunk);
    };
    stream.on('data', onData);
    // busboy stops passing bytes at `fileSize` but ends the file only with its part; multer refuses it.
    stream.once('limit', () => settle(new Error('file over limits.fileSize')));
    stream.once('end', () => {
      if (settled) return;
      settle(null, { buffer: Buffer.concat(chunks, size), size });
    });
    stream.once('error', (err) => settle(err));
    stream.once('close', () => settle(new Error('the file stream closed early')));
  }

  _removeFile(_req: Req, file: { buffer?: Buffer }, cb: (err: Error | null) => void): void {
    delete file.buffer;
    cb(null);
  }
}
