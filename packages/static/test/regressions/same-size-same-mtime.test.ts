import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serveStatic } from '@koa-kit/static';
import { tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRaw } from '../helpers.js';

let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('kk-etag-ctime-');
});
afterAll(() => dir.remove());

describe('a file replaced with the same size and mtime (cp -p, rsync -t)', () => {
  it.each([['cached', {}] as const, ['streamed', { cacheMaxFileSize: 0 }] as const])(
    'gets a new ETag, so a stale If-None-Match is answered 200 with the new bytes (%s)',
    async (_name, options) => {
      const file = path.join(dir.path, `v-${_name}.txt`);
      await writeFile(file, 'version-1');
      const mtime = 1_700_000_000; // whole seconds: the copy below gets exactly the same mtime
      await utimes(file, mtime, mtime);
      const app = new Koa();
      app.use(serveStatic(dir.path, options));
      const first = await fetchRaw(app, `/v-${_name}.txt`);
      await new Promise((r) => setTimeout(r, 20));
      await writeFile(file, 'version-2');
      await utimes(file, mtime, mtime);
      const again = await fetchRaw(app, `/v-${_name}.txt`, { headers: { 'If-None-Match': first.headers.etag! } });
      expect(again.status).toBe(200);
      expect(again.body.toString()).toBe('version-2');
      expect(again.headers.etag).not.toBe(first.headers.etag);
      expect(again.headers['last-modified']).toBe(first.headers['last-modified']);
    },
  );
});
