import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serveStatic } from '@koa-kit/static';
import { tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRaw } from '../helpers.js';

let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('kk-listing-');
  await mkdir(path.join(dir.path, 'files', 'sub'), { recursive: true });
  await writeFile(path.join(dir.path, 'files', 'a.txt'), 'a');
  await writeFile(path.join(dir.path, 'files', '<b>&"x".txt'), 'b');
  await writeFile(path.join(dir.path, 'files', '.secret'), 's');
  await writeFile(path.join(dir.path, 'files', 'drop.log'), 'd');
  await symlink('/etc', path.join(dir.path, 'files', 'etc-link'));
  await mkdir(path.join(dir.path, '.git', 'refs'), { recursive: true });
  await symlink(path.join(dir.path, '.git'), path.join(dir.path, 'repo'));
});
afterAll(() => dir.remove());

const appWith = (options: Parameters<typeof serveStatic>[1]) => {
  const app = new Koa();
  app.use(serveStatic(dir.path, options));
  return app;
};

describe('directory listing (list: true)', () => {
  it('is off by default: a folder without index goes to next() (404)', async () => {
    expect((await fetchRaw(appWith({}), '/files/')).status).toBe(404);
  });

  it('lists files and folders as escaped HTML, without dotfiles, symlinks or filtered names', async () => {
    const app = appWith({ list: true, filter: (p) => !p.endsWith('.log') });
    const res = await fetchRaw(app, '/files/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = res.body.toString();
    expect(html).toContain('<a href="./a.txt">a.txt</a>');
    expect(html).toContain('<a href="./sub/">sub/</a>');
    expect(html).toContain('&lt;b&gt;&amp;&quot;x&quot;.txt');
    expect(html).toContain(`href="./${encodeURIComponent('<b>&"x".txt')}"`);
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('.secret');
    expect(html).not.toContain('drop.log');
    expect(html).not.toContain('etc-link');
    expect((await fetchRaw(app, '/files')).headers.location).toBe('/files/');
  });

  it('never lists a folder reached through a symlink leaving root or into a dot-folder', async () => {
    const app = appWith({ list: true });
    expect((await fetchRaw(app, '/files/etc-link/')).status).toBe(404);
    expect((await fetchRaw(app, '/repo/')).status).toBe(404);
    expect((await fetchRaw(app, '/.git/')).status).toBe(404);
  });

  it('answers JSON when the client asks for it', async () => {
    const res = await fetchRaw(appWith({ list: true }), '/files/', { headers: { Accept: 'application/json' } });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body.toString())).toEqual([
      { name: '<b>&"x".txt', type: 'file' },
      { name: 'a.txt', type: 'file' },
      { name: 'drop.log', type: 'file' },
      { name: 'sub', type: 'directory' },
    ]);
  });

  it('lists dotfiles only with hidden: true', async () => {
    const res = await fetchRaw(appWith({ list: true, hidden: true }), '/files/', {
      headers: { Accept: 'application/json' },
    });
    expect(JSON.parse(res.body.toString()).map((e: { name: string }) => e.name)).toContain('.secret');
  });
});
