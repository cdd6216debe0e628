import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import Router from '@koa/router';
import { serveStatic } from '@koa-kit/static';
import { collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET = 'PRIVATE-FILE-CONTENT';
const DEEP = 'DEEP-FILE-CONTENT';

/** Request-targets naming /private/secret.txt or /deep/path/x in a spelling other than the canonical one. */
const BYPASSES: string[] = [
  '/private%2Fsecret.txt',
  '/private%2fsecret.txt',
  '/private%5Csecret.txt',
  '/private%5csecret.txt',
  '/private\\secret.txt',
  '\\private\\secret.txt',
  '/\\private/secret.txt',
  '//private/secret.txt',
  '///private/secret.txt',
  '/private//secret.txt',
  '/./private/secret.txt',
  '/private/./secret.txt',
  '/%2e/private/secret.txt',
  '/%2E/private/secret.txt',
  '/.%2fprivate/secret.txt',
  '/%70rivate/secret.txt',
  '/%70rivate/%73ecret.txt',
  '/pr%69vate/secret.txt',
  '/privat%65/secret.txt',
  '/private/%73ecret.txt',
  '/%70%72%69%76%61%74%65/secret.txt',
  '/private%2F%73ecret.txt',
  '/%2Fprivate/secret.txt',
  '/%2fprivate%2fsecret.txt',
  '/%5Cprivate%5Csecret.txt',
  '/private/secret%2Etxt',
  '/private/secret.tx%74',
  '/private%2F.%2Fsecret.txt',
  '/./private//./secret.txt',
  '/.//private/secret.txt',
  '/private/.//secret.txt',
  '/private\\.\\secret.txt',
  '/private%5C%2E%5Csecret.txt',
  '/%2e%2fprivate%2fsecret.txt',
  '/private%2F%2Fsecret.txt',
  '/priv%61te%2Fsecret.txt',
  '///deep/path/x',
  '//deep/path/x',
  '/deep%2Fpath/x',
  '/deep%2fpath%2fx',
  '/deep/path%2Fx',
  '/deep%5Cpath%5Cx',
  '/deep\\path\\x',
  '/deep//path/x',
  '/deep/./path/x',
  '/./deep/path/x',
  '/%64eep/path/x',
  '/deep/p%61th/x',
  '/deep/path/%78',
  '/deep/%2E/path/x',
  '/%70rivate/secret.txt?x=1',
  'private/secret.txt',
  '%70rivate/secret.txt',
  '/private/secret%2etxt'.replace('%2e', '%2E').replace('secret', 'secre%74'),
  '/deep/path/%78/',
  '/%e7%a7%81/../private/secret.txt',
];

/** Sends bytes exactly as written over a plain socket: no client normalises the request-target. */
function socketRequest(url: string, target: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 'latin1');
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

let dir: { path: string; remove(): Promise<void> };
let root: string;

beforeAll(async () => {
  dir = await tempDir('kk-guard-');
  root = dir.path;
  await mkdir(path.join(root, 'private'), { recursive: true });
  await mkdir(path.join(root, 'deep', 'path'), { recursive: true });
  await writeFile(path.join(root, 'private', 'secret.txt'), SECRET);
  await writeFile(path.join(root, 'deep', 'path', 'x'), DEEP);
  await writeFile(path.join(root, 'public.txt'), 'public');
});
afterAll(() => dir.remove());

function denied(ctx: Koa.Context): void {
  ctx.status = 403;
  ctx.body = 'guard said no';
}

function routerGuarded(): Koa {
  const app = new Koa();
  const router = new Router();
  router.all('/private/{*rest}', denied);
  router.all('/deep/path/{*rest}', denied);
  app.use(router.routes());
  app.use(serveStatic(root));
  return app;
}

function startsWithGuarded(): Koa {
  const app = new Koa();
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/private/') || ctx.path.startsWith('/deep/path/')) return denied(ctx);
    return next();
  });
  app.use(serveStatic(root));
  return app;
}

describe.each([
  ['@koa/router guard', routerGuarded],
  ['startsWith guard', startsWithGuarded],
])('a %s in front of serveStatic cannot be walked around', (_name, make) => {
  let server: Listening;
  let errors: ReturnType<typeof collectAppErrors>;
  beforeAll(async () => {
    const app = make();
    errors = collectAppErrors(app);
    server = await listen(app);
  });
  afterAll(() => server.close());

  it(`has at least 40 spellings (${new Set(BYPASSES).size})`, () => {
    expect(new Set(BYPASSES).size).toBeGreaterThanOrEqual(40);
  });

  it('the guard holds for the canonical spelling and the public file is served', async () => {
    expect((await socketRequest(server.url, '/private/secret.txt')).status).toBe(403);
    expect((await socketRequest(server.url, '/deep/path/x')).status).toBe(403);
    const ok = await socketRequest(server.url, '/public.txt');
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('public');
  });

  it.each(BYPASSES)('refuses %s with 400 PATH_NOT_CANONICAL or 403, never the file', async (target) => {
    const res = await socketRequest(server.url, target);
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain(DEEP);
    expect([400, 403]).toContain(res.status);
    for (const e of errors.take() as Array<{ status?: number; code?: string }>) {
      expect(e.status).toBeLessThan(500);
      expect(['PATH_NOT_CANONICAL', 'PATH_TRAVERSAL']).toContain(e.code);
    }
  });
});
