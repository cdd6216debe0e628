import { once } from 'node:events';
import { open } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { type AppErrors, collectAppErrors, tempDir } from '@koa-kit/testing';
import { handleExpectContinue, upload } from '@koa-kit/upload';
import Koa from 'koa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { curl, sha256, sha256File, waitEmpty } from './helpers.js';

let dir: { path: string; remove(): Promise<void> };
let work: { path: string; remove(): Promise<void> };
let errors: AppErrors;

beforeEach(async () => {
  dir = await tempDir('kk-upload-dest-');
  work = await tempDir('kk-upload-work-');
});
afterEach(async () => {
  errors?.assertNone();
  await dir.remove();
  await work.remove();
});

async function serve(app: Koa) {
  const server = http.createServer(app.callback());
  handleExpectContinue(server, app);
  const sockets: Socket[] = [];
  server.on('connection', (s) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bytesRead: () => sockets.reduce((n, s) => n + s.bytesRead, 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function appWithRoutes() {
  const app = new Koa();
  errors = collectAppErrors(app);
  const small = upload({ dest: dir.path, single: 'file', limits: { fileSize: 1024 * 1024 } });
  let reachedAuth = false;
  app.use(async (ctx, next) => {
    if (ctx.path === '/private') {
      reachedAuth = true;
      if (ctx.get('authorization') !== 'Bearer ok') {
        const err = Object.assign(new Error('Authentication required'), {
          status: 401,
          expose: true,
          code: 'CREDENTIALS_MISSING',
          headers: { 'WWW-Authenticate': 'Bearer' },
        });
        throw err;
      }
    }
    return next();
  });
  app.use(small);
  app.use(async (ctx) => {
    ctx.body = {
      name: ctx.request.file?.originalname,
      hash: ctx.request.file ? await sha256File(ctx.request.file.path) : null,
    };
  });
  return { app, reachedAuth: () => reachedAuth };
}

async function bigFile(name: string, size: number): Promise<string> {
  const file = path.join(work.path, name);
  const handle = await open(file, 'w');
  await handle.truncate(size);
  await handle.close();
  return file;
}

describe('handleExpectContinue()', () => {
  it('validates its arguments', () => {
    expect(() => handleExpectContinue(null as never, new Koa())).toThrow(TypeError);
    expect(() => handleExpectContinue(http.createServer(), {} as never)).toThrow(TypeError);
  });

  it('a 50 MB upload to a 1 MB route is refused with 413 before the body is sent', async () => {
    const { app } = appWithRoutes();
    const server = await serve(app);
    try {
      await bigFile('big.bin', 50 * 1024 * 1024);
      const started = Date.now();
      const res = await curl(
        ['--expect100-timeout', '30', '-H', 'Expect: 100-continue', '-F', 'file=@big.bin', `${server.url}/`],
        { cwd: work.path },
      );
      const elapsed = Date.now() - started;
      expect(res.status).toBe(413);
      expect(res.headers.connection).toBe('close');
      // Only the request head travelled: well under the 50 MB body (and under a single 64 KiB read).
      expect(server.bytesRead()).toBeLessThan(16 * 1024);
      expect(elapsed).toBeLessThan(5000);
      expect(errors.take().map((e) => (e as { code: string }).code)).toEqual(['BODY_TOO_LARGE']);
      expect(await waitEmpty(dir.path)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('middleware above can refuse on missing credentials before the body is sent', async () => {
    const { app, reachedAuth } = appWithRoutes();
    const server = await serve(app);
    try {
      await bigFile('big.bin', 20 * 1024 * 1024);
      const res = await curl(
        ['--expect100-timeout', '30', '-H', 'Expect: 100-continue', '-F', 'file=@big.bin', `${server.url}/private`],
        { cwd: work.path },
      );
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(reachedAuth()).toBe(true);
      expect(server.bytesRead()).toBeLessThan(16 * 1024);
      expect(errors.take()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('sends 100 Continue when upload() starts reading, and the upload arrives intact', async () => {
    const { app } = appWithRoutes();
    const server = await serve(app);
    try {
      const content = Buffer.alloc(512 * 1024, 9);
      const file = await bigFile('ok.bin', 0);
      const handle = await open(file, 'w');
      await handle.write(content);
      await handle.close();
      const started = Date.now();
      const res = await curl(
        ['-v', '--expect100-timeout', '30', '-H', 'Expect: 100-continue', '-F', 'file=@ok.bin', `${server.url}/`],
        { cwd: work.path },
      );
      // If 100 Continue never came, curl would wait its 30 s timeout before sending.
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ name: 'ok.bin', hash: sha256(content) });
    } finally {
      await server.close();
    }
  });

  it('lets another body reader get its 100 Continue too (first read triggers it)', async () => {
    const app = new Koa();
    errors = collectAppErrors(app);
    app.use(async (ctx) => {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      ctx.body = String(Buffer.concat(chunks).length);
    });
    const server = await serve(app);
    try {
      const file = await bigFile('raw.bin', 300 * 1024);
      const started = Date.now();
      const res = await curl(
        [
          '--expect100-timeout',
          '30',
          '-H',
          'Expect: 100-continue',
          '--data-binary',
          `@${path.basename(file)}`,
          `${server.url}/`,
        ],
        { cwd: work.path },
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.body).toBe(String(300 * 1024));
    } finally {
      await server.close();
    }
  });
});
