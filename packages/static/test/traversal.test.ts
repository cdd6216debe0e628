import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type ServeStaticOptions, serveStatic } from '@koa-kit/static';
import { collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers.js';

const SECRET = 'TOP-SECRET-OUTSIDE-ROOT';

/**
 * [request-target exactly as sent, expected status]. 400 = malformed or not the canonical spelling,
 * 403 = traversal, 404 = no such file.
 */
const SPELLINGS: Array<[string, number]> = [
  ['/../secret.txt', 403],
  ['/../../../../../../etc/passwd', 403],
  ['/..%2fsecret.txt', 403],
  ['/..%2Fsecret.txt', 403],
  ['/%2e%2e/secret.txt', 403],
  ['/%2E%2E/secret.txt', 403],
  ['/%2e%2e%2fsecret.txt', 403],
  ['/.%2e/secret.txt', 403],
  ['/%2e./secret.txt', 403],
  ['/%252e%252e/secret.txt', 404],
  ['/%252e%252e%252fsecret.txt', 404],
  ['/..%252fsecret.txt', 404],
  ['/..\\secret.txt', 403],
  ['/..%5csecret.txt', 403],
  ['/..%5Csecret.txt', 403],
  ['/%2e%2e%5csecret.txt', 403],
  ['/docs/..%2f..%2fsecret.txt', 403],
  ['/docs/../../secret.txt', 403],
  ['/./../secret.txt', 403],
  ['/%2e/%2e%2e/secret.txt', 403],
  ['/hello.txt/..%2f..%2fsecret.txt', 403],
  ['/docs%2f..%2f..%2fsecret.txt', 403],
  ['/..%2f..%2f..%2f..%2fetc%2fpasswd', 403],
  ['/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd', 403],
  ['http://127.0.0.1/../secret.txt', 403],
  ['/secret.txt%00.html', 400],
  ['/%00', 400],
  ['/hello.txt%00', 400],
  ['/..%00/secret.txt', 400],
  ['/.%00./secret.txt', 400],
  ['/%c0%ae%c0%ae/secret.txt', 400],
  ['/%c0%ae%c0%ae%c0%afsecret.txt', 400],
  ['/..%c0%afsecret.txt', 400],
  ['/%e0%80%ae%e0%80%ae/secret.txt', 400],
  ['/%c1%9c%c1%9csecret.txt', 400],
  ['/%ZZ', 400],
  ['/%', 400],
  ['/%e6%8a', 400],
  ['/..%u2216secret.txt', 400],
  ['/%uff0e%uff0e/secret.txt', 400],
  ['//etc/passwd', 400],
  ['///etc/passwd', 400],
  ['/%2fetc%2fpasswd', 400],
  ['/%2Fetc/passwd', 400],
  ['/C:/Windows/win.ini', 403],
  ['/c:%5cwindows%5cwin.ini', 403],
  ['/C%3A%5CWindows%5Cwin.ini', 403],
  ['/\\\\server\\share\\secret.txt', 400],
  ['/%5c%5cserver%5cshare', 400],
  ['/....//secret.txt', 400],
  ['/..;/secret.txt', 404],
  ['/.../secret.txt', 404],
  ['/%EF%BC%8E%EF%BC%8E/secret.txt', 404],
  ['/secret.txt', 404],
  ['/passwd-link', 404],
  ['/link-out/secret.txt', 404],
];

let dir: { path: string; remove(): Promise<void> };
let root: string;

beforeAll(async () => {
  dir = await tempDir('kk-traversal-');
  root = path.join(dir.path, 'public');
  await mkdir(path.join(root, 'docs'), { recursive: true });
  await writeFile(path.join(root, 'hello.txt'), 'hello');
  await writeFile(path.join(root, 'docs', 'index.html'), 'docs');
  await writeFile(path.join(dir.path, 'secret.txt'), SECRET);
  await symlink('/etc/passwd', path.join(root, 'passwd-link'));
  await symlink(dir.path, path.join(root, 'link-out'));
});
afterAll(() => dir.remove());

async function runTable(options: ServeStaticOptions | undefined, prefix = '') {
  const app = new Koa();
  const errors = collectAppErrors(app);
  app.use(serveStatic(root, options));
  const server: Listening = await listen(app);
  try {
    const results: Array<[string, number]> = [];
    for (const [spelling] of SPELLINGS) {
      const target = spelling.startsWith('http:') ? spelling : prefix + spelling;
      const res = await rawRequest(server.url, target);
      const text = res.body.toString('latin1');
      expect(text, target).not.toContain(SECRET);
      expect(text, target).not.toMatch(/root:.*:0:0:/);
      results.push([spelling, res.status]);
    }
    // 4xx refusals are emitted too (Koa emits every error); none may be a 5xx
    const emitted = errors.take() as Array<{ status?: number; code?: string; expose?: boolean }>;
    for (const e of emitted) {
      expect(e.status).toBeLessThan(500);
      expect(e.expose).toBe(true);
      expect(['MALFORMED_PATH', 'PATH_TRAVERSAL', 'PATH_NOT_CANONICAL']).toContain(e.code);
    }
    return results;
  } finally {
    await server.close();
  }
}

describe('path traversal table', () => {
  it(`has at least 40 spellings (${SPELLINGS.length})`, () => {
    expect(SPELLINGS.length).toBeGreaterThanOrEqual(40);
  });

  it('never reads outside root and answers the expected 400/403/404 for every spelling', async () => {
    const results = await runTable(undefined);
    expect(results).toEqual(SPELLINGS);
  });

  it('holds with hidden files, extensions and index lists enabled', async () => {
    const results = await runTable({
      hidden: true,
      extensions: ['txt'],
      index: ['index.html', '../secret.txt'.slice(3)],
    });
    for (const [spelling, status] of results) expect([400, 403, 404], spelling).toContain(status);
  });

  it('holds under a prefix (the traversal is answered, not passed on)', async () => {
    const results = await runTable({ prefix: '/static' }, '/static');
    const byTarget = new Map(results);
    expect(byTarget.get('/..%2fsecret.txt')).toBe(403);
    expect(byTarget.get('/%c0%ae%c0%ae/secret.txt')).toBe(400);
    for (const [spelling, status] of results) expect([400, 403, 404], spelling).toContain(status);
  });

  it('refuses harmless second spellings of an in-root file (400), or redirects them when asked', async () => {
    const strict = new Koa();
    strict.use(serveStatic(root));
    const redirecting = new Koa();
    redirecting.use(serveStatic(root, { redirectToCanonical: true }));
    const a = await listen(strict);
    const b = await listen(redirecting);
    try {
      expect((await rawRequest(a.url, '/hello.txt')).status).toBe(200);
      for (const [target, canonical] of [
        ['//hello.txt', '/hello.txt'],
        ['/./hello.txt', '/hello.txt'],
        ['/%68ello.txt', '/hello.txt'],
        ['/docs%2f', '/docs/'],
        ['/docs//', '/docs/'],
        ['/\\hello.txt', '/hello.txt'],
        ['/docs/./index.html?v=1', '/docs/index.html?v=1'],
      ] as const) {
        expect((await rawRequest(a.url, target)).status, target).toBe(400);
        const res = await rawRequest(b.url, target);
        expect(res.status, target).toBe(301);
        expect(res.headers.location, target).toBe(canonical);
        expect((await rawRequest(b.url, canonical)).status, canonical).toBe(200);
      }
      // never a protocol-relative Location (an open redirect)
      expect((await rawRequest(b.url, '//evil.example/x')).headers.location).toBe('/evil.example/x');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a refused path still reaches a route below that answers it (refusal only when nothing did)', async () => {
    const app = new Koa();
    const errors = collectAppErrors(app);
    app.use(serveStatic(root));
    app.use(async (ctx) => {
      if (ctx.path.startsWith('/api/')) ctx.body = 'api answered';
    });
    const server = await listen(app);
    try {
      const ok = await rawRequest(server.url, '/api/%ZZ');
      expect(ok.status).toBe(200);
      expect(ok.body.toString()).toBe('api answered');
      const refused = await rawRequest(server.url, '/files/%ZZ');
      expect(refused.status).toBe(400);
      expect(errors.take().map((e) => (e as { code?: string }).code)).toEqual(['MALFORMED_PATH']);
    } finally {
      await server.close();
    }
  });
});

describe('symlinks', () => {
  it('serves symlinks that stay inside root', async () => {
    await symlink(path.join(root, 'hello.txt'), path.join(root, 'inside-link.txt'));
    const app = new Koa();
    app.use(serveStatic(root));
    const server = await listen(app);
    try {
      const res = await rawRequest(server.url, '/inside-link.txt');
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('hello');
    } finally {
      await server.close();
    }
  });

  it('refuses symlinks (file or folder) leaving root, unless followSymlinks', async () => {
    const strict = new Koa();
    strict.use(serveStatic(root));
    const lax = new Koa();
    lax.use(serveStatic(root, { followSymlinks: true }));
    const a = await listen(strict);
    const b = await listen(lax);
    try {
      expect((await rawRequest(a.url, '/link-out/secret.txt')).status).toBe(404);
      const followed = await rawRequest(b.url, '/link-out/secret.txt');
      expect(followed.status).toBe(200);
      expect(followed.body.toString()).toBe(SECRET);
      // still refused by the strict app after the lax one cached nothing it could share
      expect((await rawRequest(a.url, '/link-out/secret.txt')).status).toBe(404);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
