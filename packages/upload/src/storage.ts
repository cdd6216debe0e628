import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import multer from 'multer';

/** The slice of multer's StorageEngine contract we use. */
interface Engine {
  _handleFile(req: IncomingMessage, file: any, cb: (err?: any, info?: any) => void): void;
  _removeFile(req: IncomingMessage, file: any, cb: (err: Error | null) => void): void;
}

/** Every file written for one request, so that all of them can be removed whatever happened. */
export class RequestFiles {
  closed = false;
  private readonly files = new Set<{ path?: string }>();

  constructor(
    private readonly engine: Engine,
    private readonly req: IncomingMessage,
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

const tracked = new WeakMap<IncomingMessage, RequestFiles>();

/**
 * multer's disk storage (random hex names, never the client's name) wrapped so that every file it
 * starts is recorded for its request, and a file that finishes after the request failed is removed.
 */
export class TrackingDiskStorage implements Engine {
  private readonly disk: Engine;

  /** `name` gives a file's path under `destination` (already checked), or undefined for a random name. */
  constructor(
    readonly destination: string,
    name?: (req: IncomingMessage, file: any) => Promise<string | undefined>,
  ) {
    this.disk = multer.diskStorage(
      (name
        ? {
            destination,
            filename: (req: IncomingMessage, file: any, cb: (err: any, filename?: string) => void) => {
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

  begin(req: IncomingMessage): RequestFiles {
    const files = new RequestFiles(this, req);
    tracked.set(req, files);
    return files;
  }

  _handleFile(req: IncomingMessage, file: any, cb: (err?: any, info?: any) => void): void {
    const files = tracked.get(req);
    if (!files || files.closed) {
      file.stream.resume();
      cb(new Error('the upload was closed'));
      return;
    }
    files.add(file);
    this.disk._handleFile(req, file, (err, info) => {
      if (!err && files.closed && info?.path) {
        // Finished writing after the request failed and the others were removed: remove it too.
        this.disk._removeFile(req, { ...file, ...info }, () => cb(new Error('the upload was closed')));
        return;
      }
      cb(err, info);
    });
  }

  _removeFile(req: IncomingMessage, file: any, cb: (err: Error | null) => void): void {
    if (typeof file.path !== 'string') {
      cb(null);
      return;
    }
    this.disk._removeFile(req, file, (err) => cb(err && (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : err));
  }
}
