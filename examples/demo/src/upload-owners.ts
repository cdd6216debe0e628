import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Koa from 'koa';

const UPLOAD_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Who created each tus upload, kept on disk beside the uploads. Every request on an upload, and a
 * concatenation of partial uploads, is refused unless the uploads belong to the requesting user.
 */
export class UploadOwners {
  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async record(id: string, user: string): Promise<void> {
    if (!UPLOAD_ID.test(id)) throw new Error('unexpected upload id');
    await writeFile(path.join(this.dir, id), user);
  }

  async owns(user: string, id: string): Promise<boolean> {
    if (!UPLOAD_ID.test(id)) return false;
    const owner = await readFile(path.join(this.dir, id), 'utf8').catch(() => undefined);
    return owner === user;
  }
}

/** The same refusal as for an upload that does not exist: another user's ids are not confirmed. */
export function uploadNotFound(ctx: Koa.Context): never {
  return ctx.throw(404, 'No such upload', { code: 'UPLOAD_NOT_FOUND', headers: { 'Tus-Resumable': '1.0.0' } });
}

/**
 * The upload ids named by `Upload-Concat: final;<url> <url>`, read as resumableUpload() reads them
 * (a URL or path whose last segment is the id); a URL it cannot read gives '' (owned by no one).
 */
export function partialIds(header: string | undefined): string[] {
  if (!header?.startsWith('final;')) return [];
  return header
    .slice('final;'.length)
    .split(/ +/)
    .filter(Boolean)
    .map((url) => {
      try {
        const { pathname } = new URL(url, 'http://tus.invalid');
        return decodeURIComponent(pathname.slice(pathname.lastIndexOf('/') + 1));
      } catch {
        return '';
      }
    });
}
