import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serveStatic } from '@koa-kit/static';
import { listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers.js';

let dir: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  dir = await tempDir('kk-link-dot-');
  await mkdir(path.join(dir.path, '.git'));
  await writeFile(path.join(dir.path, '.env'), 'SECRET=1');
  await writeFile(path.join(dir.path, '.git', 'config'), '[core]');
  await writeFile(path.join(dir.path, 'plain.txt'), 'plain');
  await symlink(path.join(dir.path, '.env'), path.join(dir.path, 'config.txt'));
  await symlink(path.join(dir.path, '.git'), path.join(dir.path, 'repo'));
  await symlink(path.join(dir.path, 'plain.txt'), path.join(dir.path, 'alias.txt'));
});
afterAll(() => dir.remove());

describe('a symlink with an ordinary name pointing at a dotfile inside root', () => {
  it('is treated as the dotfile it leads to: missing by default, served with hidden: true', async () => {
    const strict = new Koa();
    strict.use(serveStatic(dir.path));
    const lax = new Koa();
    lax.use(serveStatic(dir.path, { hidden: true }));
    const a = await listen(strict);
    const b = await listen(lax);
    try {
      expect((await rawRequest(a.url, '/alias.txt')).body.toString()).toBe('plain');
      for (const target of ['/config.txt', '/repo/config']) {
        const res = await rawRequest(a.url, target);
        expect(res.status, target).toBe(404);
        expect(res.body.toString()).not.toMatch(/SECRET|\[core\]/);
      }
      expect((await rawRequest(b.url, '/config.txt')).body.toString()).toBe('SECRET=1');
      expect((await rawRequest(b.url, '/repo/config')).body.toString()).toBe('[core]');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
