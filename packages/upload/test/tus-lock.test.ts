import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { type AppErrors, collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import { resumableUpload } from '@koa-kit/upload';
import { MemoryLocker } from '@tus/server';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockTimeoutError } from '../src/errors.js';
import { rawExchange } from './helpers.js';

// A request that cannot get an upload's lock in time is a client holding it, not a server fault:
// 423 Locked with Retry-After (tus-js-client and Uppy retry a 423 and keep the upload URL).

let dir: { path: string; remove(): Promise<void> };
let errors: AppErrors;

beforeEach(async () => {
  dir = await tempDir('kk-tus-lock-');
});
afterEach(async () => {
  await dir.remove();
});

const T = { 'Tus-Resumable': '1.0.0' };

/** The lock wait is short (200 ms) so that the holder, asked to let go, is still holding it (it drains for 3 s). */
function makeApp() {
  const app = new Koa();
  errors = collectAppErrors(app);
  app.use(
    resumableUpload({
      path: '/files',
      directory: dir.path,
      locker: new MemoryLocker({ acquireLockTimeout: 200 }),
      allowedOrigins: ['http://app.test'],
    }),
  );
  return app;
}

function codes(): string[] {
  return errors
    .take()
    .map((e) => (e as { code?: string }).code ?? String(e))
    .filter((c) => /^[A-Z_]+$/.test(c) && !/^(ECONNRESET|EPIPE|HPE_|ERR_)/.test(c));
}

async function create(app: Koa, length: number, headers: Record<string, string> = {}): Promise<string> {
  const res = await request(app.callback()).post('/files').set(T).set('Upload-Length', String(length)).set(headers);
  expect(res.status).toBe(201);
  return new URL(res.headers.location!, 'http://x').pathname;
}

/** A PATCH that sends `sent` bytes of `length` and then keeps its connection open: it holds the lock. */
async function slowPatch(server: Listening, url: string, length: number, sent: number): Promise<net.Socket> {
  const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `PATCH ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
      `Content-Type: application/offset+octet-stream\r\nContent-Length: ${length}\r\n\r\n`,
  );
  socket.write(randomBytes(sent));
  // Its bytes reaching the file means the store is writing for it, under the lock.
  const file = `${dir.path}/${url.split('/').pop()}`;
  for (let i = 0; i < 300 && (await stat(file)).size < sent; i++) await new Promise((r) => setTimeout(r, 10));
  expect((await stat(file)).size).toBe(sent);
  return socket;
}

describe('resumableUpload(): an upload locked by another request', () => {
  it('HEAD and PATCH while a slow PATCH holds the lock are 423 UPLOAD_LOCK_TIMEOUT with Retry-After, not 500', async () => {
    const app = makeApp();
    const server = await listen(app);
    let holder: net.Socket | undefined;
    try {
      const url = await create(app, 1000);
      holder = await slowPatch(server, url, 1000, 100);

      const head = await request(server.url).head(url).set(T).set('Origin', 'http://app.test');
      expect(head.status).toBe(423);
      expect(head.headers['retry-after']).toBe('1');
      expect(head.headers['tus-resumable']).toBe('1.0.0');
      expect(head.headers['access-control-allow-origin']).toBe('http://app.test');
      expect(codes()).toEqual(['UPLOAD_LOCK_TIMEOUT']);

      // A second PATCH is refused before its body is read: the connection closes, the body is not read as a request.
      const patch = await rawExchange(
        server,
        `PATCH ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 100\r\n` +
          'Content-Type: application/offset+octet-stream\r\nContent-Length: 900\r\n\r\n',
        randomBytes(300),
      );
      expect(patch.status).toBe(423);
      expect(patch.headers['retry-after']).toBe('1');
      expect(patch.headers['tus-resumable']).toBe('1.0.0');
      expect(patch.headers.connection).toBe('close');
      expect(patch.closed).toBe(true);
      expect(codes()).toEqual(['UPLOAD_LOCK_TIMEOUT']);
    } finally {
      holder?.destroy();
      await server.close();
    }
  });

  it('a final upload whose partial is locked by its PATCH is 423 too, and the partial is left as it was', async () => {
    const app = makeApp();
    const server = await listen(app);
    let holder: net.Socket | undefined;
    try {
      const url = await create(app, 1000, { 'Upload-Concat': 'partial' });
      holder = await slowPatch(server, url, 1000, 100);
      const final = await request(server.url).post('/files').set(T).set('Upload-Concat', `final;${url}`);
      expect(final.status).toBe(423);
      expect(final.headers['retry-after']).toBe('1');
      expect(final.headers['tus-resumable']).toBe('1.0.0');
      expect(codes()).toEqual(['UPLOAD_LOCK_TIMEOUT']);
      expect((await stat(`${dir.path}/${url.split('/').pop()}`)).size).toBe(100);
    } finally {
      holder?.destroy();
      await server.close();
    }
  });

  it("a locker that throws the kit's lockTimeoutError() (as redisLocker does) gets the same 423", async () => {
    const app = new Koa();
    errors = collectAppErrors(app);
    const busy = {
      newLock: () => ({
        lock: async () => {
          throw lockTimeoutError();
        },
        unlock: async () => {},
      }),
    };
    app.use(resumableUpload({ path: '/files', directory: dir.path, locker: busy }));
    const created = await request(app.callback()).post('/files').set(T).set('Upload-Length', '10');
    expect(created.status).toBe(423);
    expect(created.headers['retry-after']).toBe('1');
    expect(created.headers['tus-resumable']).toBe('1.0.0');
    expect(codes()).toEqual(['UPLOAD_LOCK_TIMEOUT']);
  });
});
