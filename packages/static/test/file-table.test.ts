import { rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@koa-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileTable } from '../src/file-table.js';

let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('kk-table-');
  for (let i = 0; i < 6; i++) await writeFile(path.join(dir.path, `f${i}.bin`), Buffer.alloc(4096, i));
  await writeFile(path.join(dir.path, 'large.bin'), Buffer.alloc(8192, 9));
});
afterAll(() => dir.remove());

describe('the small-file cache', () => {
  it('never holds more than cacheMaxSize bytes and serves the right bytes after evictions', async () => {
    const table = new FileTable({
      realRoot: dir.path,
      followSymlinks: false,
      hidden: false,
      cacheMaxFileSize: 4096,
      cacheMaxSize: 10_000,
    });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 6; i++) {
        const r = await table.lookup(path.join(dir.path, `f${i}.bin`));
        expect(r.kind).toBe('file');
        if (r.kind === 'file') expect(r.entry.body?.equals(Buffer.alloc(4096, i))).toBe(true);
        expect(table.size).toBeLessThanOrEqual(10_000);
      }
    }
    const big = await table.lookup(path.join(dir.path, 'large.bin'));
    expect(big.kind === 'file' && big.entry.body).toBeUndefined();
  });

  it('sees a replaced file at once and forgets a deleted one', async () => {
    const table = new FileTable({
      realRoot: dir.path,
      followSymlinks: false,
      hidden: false,
      cacheMaxFileSize: 4096,
      cacheMaxSize: 1 << 20,
    });
    const file = path.join(dir.path, 'changing.bin');
    await writeFile(file, 'one');
    const a = await table.lookup(file);
    await rm(file);
    await writeFile(file, 'two');
    const t = new Date(a.kind === 'file' ? a.entry.mtimeMs : 0);
    await utimes(file, t, t); // same size and mtime, new inode
    const b = await table.lookup(file);
    expect(b.kind === 'file' && b.entry.body?.toString()).toBe('two');
    await rm(file);
    expect((await table.lookup(file)).kind).toBe('none');
  });
});
