import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sendFile } from '@koa-kit/range-download';
import { collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers.js';

const OUTSIDE = 'OUTSIDE-ROOT';
const DOTFILE = 'DOTFILE-CONTENT';
let dir: { path: string; remove(): Promise<void> };
let root: string;

beforeAll(async () => {
  dir = await tempDir('kk-sendfile-root-');
  root = path.join(dir.path, 'files');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await mkdir(path.join(root, '.git'), { recursive: true });
  await writeFile(path.join(root, 'report.pdf'), 'report');
  await writeFile(path.join(root, 'sub', 'a.txt'), 'a');
  await writeFile(path.join(root, '.env'), DOTFILE);
  await writeFile(path.join(root, '.git', 'config'), DOTFILE);
  await writeFile(path.join(dir.path, 'secret.txt'), OUTSIDE);
  await symlink(path.join(root, '.env'), path.join(root, 'config.txt'));
  await symlink(path.join(root, 'report.pdf'), path.join(root, 'alias.pdf'));
  await symlink(path.join(dir.path, 'secret.txt'), path.join(root, 'out.txt'));
});
afterAll(() => dir.remove());

async function serve(
  options: Record<string, unknown>,
): Promise<{ server: Listening; errors: ReturnType<typeof collectAppErrors> }> {
  const app = new Koa();
  const errors = collectAppErrors(app);
  app.use(async (ctx) => {
    const name = typeof ctx.query.f === 'string' ? ctx.query.f : '';
    await sendFile(ctx, name, { root, ...options });
  });
  return { server: await listen(app), errors };
}

describe('sendFile(ctx, path, { root })', () => {
  let strict: Awaited<ReturnType<typeof serve>>;
  let hidden: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    strict = await serve({});
    hidden = await serve({ hidden: true });
  });
  afterAll(async () => {
    await strict.server.close();
    await hidden.server.close();
  });

  const get = (server: Listening, name: string) => rawRequest(server.url, `/?f=${encodeURIComponent(name)}`);

  it('serves a path relative to root (a leading / means root)', async () => {
    for (const name of ['report.pdf', '/report.pdf', 'sub/a.txt', 'alias.pdf']) {
      const res = await get(strict.server, name);
      expect(res.status, name).toBe(200);
      expect(res.headers['content-disposition'], name).toBe(`attachment; filename="${path.basename(name)}"`);
    }
  });

  it.each([
    ['../secret.txt', 403, 'PATH_TRAVERSAL'],
    ['sub/../../secret.txt', 403, 'PATH_TRAVERSAL'],
    ['..\\secret.txt', 403, 'PATH_TRAVERSAL'],
    ['/../secret.txt', 403, 'PATH_TRAVERSAL'],
    ['sub/..', 403, 'PATH_TRAVERSAL'],
    ['report.pdf\0.txt', 400, 'MALFORMED_PATH'],
    ['out.txt', 404, 'FILE_NOT_FOUND'],
    ['.env', 404, 'FILE_NOT_FOUND'],
    ['.git/config', 404, 'FILE_NOT_FOUND'],
    ['sub/../.env', 403, 'PATH_TRAVERSAL'],
    ['config.txt', 404, 'FILE_NOT_FOUND'],
    ['', 404, 'FILE_NOT_FOUND'],
  ])('refuses %j with %i %s, never a byte outside the rules', async (name, status, code) => {
    const res = await get(strict.server, name);
    expect(res.status).toBe(status);
    expect(res.body.toString()).not.toContain(OUTSIDE);
    expect(res.body.toString()).not.toContain(DOTFILE);
    expect((strict.errors.take() as Array<{ code?: string }>).map((e) => e.code)).toEqual([code]);
  });

  it('hidden: true serves dotfiles and a symlink to one; containment still holds', async () => {
    expect((await get(hidden.server, '.env')).body.toString()).toBe(DOTFILE);
    expect((await get(hidden.server, 'config.txt')).body.toString()).toBe(DOTFILE);
    expect((await get(hidden.server, '../secret.txt')).status).toBe(403);
    expect((await get(hidden.server, 'out.txt')).status).toBe(404);
    hidden.errors.take();
  });

  it('checks root and hidden when called', async () => {
    const app = new Koa();
    const errors = collectAppErrors(app);
    app.use(async (ctx) => {
      const bad = ctx.query.bad === 'root' ? { root: 3 } : { root, hidden: 'yes' };
      await sendFile(ctx, 'report.pdf', bad as never);
    });
    const server = await listen(app);
    try {
      expect((await rawRequest(server.url, '/?bad=root')).status).toBe(500);
      expect((await rawRequest(server.url, '/?bad=hidden')).status).toBe(500);
      expect((errors.take() as Error[]).map((e) => e.message)).toEqual([
        'sendFile(): "root" option must be a path to a folder',
        'sendFile(): "hidden" option must be a boolean',
      ]);
    } finally {
      await server.close();
    }
  });
});
