import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Longest display name, in UTF-8 bytes (what most file systems allow for one name). */
export const MAX_NAME_BYTES = 255;
const STORED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// C0/C1 controls and the bidirectional controls that make "invoice\u202etxt.exe" read as "invoiceexe.txt".
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export interface StoredFile {
  /** The stored name: a random id, never chosen by the client. */
  id: string;
  /** The user's name for the file, cleaned: shown in lists and sent in Content-Disposition. */
  name: string;
  size: number;
}

/** The user's file name made safe to show: its last path segment, no controls, at most 255 bytes. */
export function displayName(name: string | null | undefined): string {
  const base = path.posix.basename(String(name ?? '').replace(/\\/g, '/')).replace(UNSAFE_CHARS, '');
  let cut = '';
  let bytes = 0;
  for (const char of base.trim()) {
    bytes += Buffer.byteLength(char);
    if (bytes > MAX_NAME_BYTES) break;
    cut += char;
  }
  return cut && cut !== '.' && cut !== '..' ? cut : `upload-${new Date().toISOString().slice(0, 10)}`;
}

/**
 * Finished files, one folder per user. Each file is stored under a random id with a `.json` record
 * of its display name beside it, so two uploads of one name never overwrite each other and a user
 * can only reach the files in their own folder.
 */
export class FileStore {
  constructor(private readonly root: string) {}

  private folderOf(user: string): string {
    return path.join(this.root, createHash('sha256').update(user).digest('hex').slice(0, 32));
  }

  async keep(user: string, from: string, name: string | null | undefined, size: number): Promise<StoredFile> {
    const folder = this.folderOf(user);
    await mkdir(folder, { recursive: true });
    const file: StoredFile = { id: randomUUID(), name: displayName(name), size };
    await rename(from, path.join(folder, file.id));
    await writeFile(path.join(folder, `${file.id}.json`), JSON.stringify(file));
    return file;
  }

  async list(user: string): Promise<StoredFile[]> {
    const names = await readdir(this.folderOf(user)).catch(() => [] as string[]);
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
    const files = await Promise.all(ids.map((id) => this.find(user, id)));
    return files
      .filter((f) => f !== undefined)
      .map(({ id, name, size }) => ({ id, name, size }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The user's file with this id, or undefined (also for an id that is not one of ours). */
  async find(user: string, id: string): Promise<(StoredFile & { path: string }) | undefined> {
    if (!STORED_ID.test(id)) return undefined;
    const folder = this.folderOf(user);
    try {
      const record = JSON.parse(await readFile(path.join(folder, `${id}.json`), 'utf8')) as StoredFile;
      return { id, name: String(record.name), size: Number(record.size), path: path.join(folder, id) };
    } catch {
      return undefined;
    }
  }

  /** Removes the user's file with this id; false when they have none by that id. */
  async remove(user: string, id: string): Promise<boolean> {
    const file = await this.find(user, id);
    if (!file) return false;
    // The record goes first: a file without its record is never listed or served.
    await rm(`${file.path}.json`);
    await rm(file.path, { force: true });
    return true;
  }
}
