import { type Stats, statSync } from 'node:fs';
import { open, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { hasHiddenSegment, isInside } from './canonical.js';
import { fileEtag } from './conditional.js';

/** What is known about one regular file, valid while its dev/ino/size/mtime stay the same. */
export interface FileEntry {
  file: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** Validates the entry with the rest: chmod, chown and a rename over the file change only ctime. */
  ctimeMs: number;
  etag: string;
  lastModified: string;
  /** Extension the Content-Type comes from (the original's for a `.br`/`.gz` sibling). */
  ext: string;
  /**
   * Filled on first use through Koa's own `ctx.type` (Koa already holds the MIME table: loading a
   * second copy made every GC, and so every streamed chunk, measurably slower).
   */
  contentType: string | undefined;
  /**
   * Not servable: the file resolves outside root (symlink check), or, unless hidden files are
   * served, its real path inside root has a dot segment (a link named `config.txt` to `.env`).
   */
  outside: boolean;
  /** The whole content, for small files when the cache is on. */
  body: Buffer | undefined;
}

export type Lookup =
  | { kind: 'file'; entry: FileEntry; stats: Stats }
  | { kind: 'dir' }
  | { kind: 'none' }
  | { kind: 'error'; error: NodeJS.ErrnoException };

const NOT_FOUND = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP', 'EINVAL']);
const MAX_ENTRIES = 10_000;

export interface FileTableOptions {
  realRoot: string;
  followSymlinks: boolean;
  hidden: boolean;
  cacheMaxFileSize: number;
  cacheMaxSize: number;
}

/**
 * Looks files up by absolute path with one `stat` per request, remembering (bounded, LRU) the
 * derived headers, the symlink verdict and, for small files, the bytes. An entry is reused only
 * while dev, inode, size, mtime and ctime are unchanged, so an edited or replaced file, or one whose
 * permissions changed (chmod changes only ctime), is seen at once.
 */
export class FileTable {
  private readonly entries = new Map<string, FileEntry>();
  private cachedBytes = 0;

  constructor(private readonly options: FileTableOptions) {}

  async lookup(file: string, typeFrom: string = file): Promise<Lookup> {
    // A `.br`/`.gz` sibling takes its type from the original: keep it apart from the same file asked for by name.
    const key = typeFrom === file ? file : `${file}\0${typeFrom}`;
    let stats: Stats | undefined;
    try {
      // A file seen recently has its metadata in the kernel's cache: check it with a direct
      // stat, as nginx does, instead of a round trip through libuv's thread pool.
      stats = this.entries.has(key) ? statSync(file, { throwIfNoEntry: false }) : await stat(file);
      if (stats === undefined) return { kind: 'none' };
    } catch (err) {
      const error = err as NodeJS.ErrnoException;
      if (NOT_FOUND.has(error.code ?? '')) return { kind: 'none' };
      return { kind: 'error', error };
    }
    if (stats.isDirectory()) return { kind: 'dir' };
    if (!stats.isFile()) return { kind: 'none' };
    const known = this.entries.get(key);
    if (
      known &&
      known.ino === stats.ino &&
      known.dev === stats.dev &&
      known.size === stats.size &&
      known.mtimeMs === stats.mtimeMs &&
      known.ctimeMs === stats.ctimeMs
    ) {
      this.entries.delete(key);
      this.entries.set(key, known);
      return { kind: 'file', entry: known, stats };
    }
    if (known) this.forget(key, known);
    try {
      const entry = await this.describe(file, typeFrom, stats);
      this.remember(key, entry);
      return { kind: 'file', entry, stats };
    } catch (err) {
      const error = err as NodeJS.ErrnoException;
      if (NOT_FOUND.has(error.code ?? '')) return { kind: 'none' };
      return { kind: 'error', error };
    }
  }

  private async describe(file: string, typeFrom: string, stats: Stats): Promise<FileEntry> {
    const { realRoot, followSymlinks, hidden, cacheMaxFileSize } = this.options;
    let outside = false;
    if (!followSymlinks || !hidden) {
      const real = await realpath(file);
      const within = isInside(realRoot, real);
      if (!within) outside = !followSymlinks;
      else if (!hidden) outside = hasHiddenSegment(path.relative(realRoot, real).split(path.sep));
    }
    let body: Buffer | undefined;
    if (!outside && stats.size <= cacheMaxFileSize) {
      const bytes = await readFile(file);
      // Only keep bytes that match the stat we validate against (the file may be changing).
      if (bytes.length === stats.size) body = bytes;
    } else if (!outside) {
      // stat needs no read permission: open it once, so an unreadable file is refused (403) here
      // rather than answered 200 with a stream that fails after the headers went out.
      await (await open(file, 'r')).close();
    }
    return {
      file,
      dev: stats.dev,
      ino: stats.ino,
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      ctimeMs: stats.ctimeMs,
      etag: fileEtag(stats.size, stats.mtimeMs, stats.ctimeMs),
      lastModified: stats.mtime.toUTCString(),
      ext: path.extname(typeFrom),
      contentType: undefined,
      outside,
      body,
    };
  }

  private remember(file: string, entry: FileEntry): void {
    const previous = this.entries.get(file);
    if (previous) this.forget(file, previous);
    this.entries.set(file, entry);
    if (entry.body) this.cachedBytes += entry.body.length;
    if (this.entries.size <= MAX_ENTRIES && this.cachedBytes <= this.options.cacheMaxSize) return;
    for (const [key, old] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES && this.cachedBytes <= this.options.cacheMaxSize) break;
      if (old === entry) continue;
      this.forget(key, old);
    }
  }

  private forget(file: string, entry: FileEntry): void {
    this.entries.delete(file);
    if (entry.body) this.cachedBytes -= entry.body.length;
  }

  /** Bytes of file content currently held (for tests and monitoring). */
  get size(): number {
    return this.cachedBytes;
  }
}
