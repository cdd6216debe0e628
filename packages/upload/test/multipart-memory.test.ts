import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { type AppErrors, collectAppErrors, listen } from '@koa-kit/testing';
import { type UploadOptions, upload } from '@koa-kit/upload';
import Koa from 'koa';
import multer from 'multer';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

// storage: 'memory' is multer's memoryStorage with caps: 1 MiB per file and 4 MiB for all files of a
// request by default, counted in bytes as they arrive.

const MiB = 1024 * 1024;
let errors: AppErrors;

function makeApp(options: UploadOptions = {}) {
  const app = new Koa();
  errors = collectAppErrors(app);
  let reached = 0;
  app.use(upload({ storage: 'memory', ...options }));
  app.use((ctx) => {
    reached += 1;
    ctx.body = ctx.state.upload!.files.map((f) => ({
      field: f.fieldname,
      name: f.originalname,
      size: f.size,
      sha: f.buffer ? createHash('sha256').update(f.buffer).digest('hex') : null,
      bufferLength: f.buffer?.length ?? null,
      path: f.path ?? null,
    }));
  });
  return { app, reached: () => reached };
}

function codes(): string[] {
  return errors
    .take()
    .map((e) => (e as { code?: string }).code ?? String(e))
    .filter((c) => /^[A-Z_]+$/.test(c) && !/^(ECONNRESET|EPIPE|HPE_|ERR_)/.test(c));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('upload({ storage: "memory" })', () => {
  it('puts each file in file.buffer (no path), fields on ctx.request.body', async () => {
    const { app } = makeApp();
    const a = randomBytes(300 * 1024);
    const b = Buffer.from('hello');
    const res = await request(app.callback())
      .post('/')
      .field('title', 'x')
      .attach('a', a, 'a.bin')
      .attach('b', b, { filename: '报告.txt', contentType: 'text/plain' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { field: 'a', name: 'a.bin', size: a.length, sha: sha(a), bufferLength: a.length, path: null },
      { field: 'b', name: '报告.txt', size: 5, sha: sha(b), bufferLength: 5, path: null },
    ]);
  });

  it('a file over 1 MiB (the default) is 413 FILE_TOO_LARGE, sent with Content-Length or chunked', async () => {
    const { app, reached } = makeApp();
    const big = randomBytes(MiB + 1);
    const sized = await request(app.callback()).post('/').attach('f', big, 'big.bin');
    expect(sized.status).toBe(413);
    const server = await listen(app);
    try {
      const boundary = 'kkmem';
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n\r\n`),
        big,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      // Chunked: no length to check first, the bytes are counted as they come.
      const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
      socket.on('error', () => {});
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
      });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      for (let at = 0; at < body.length; at += 64 * 1024) {
        const piece = body.subarray(at, at + 64 * 1024);
        socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
      }
      socket.write('0\r\n\r\n');
      for (let i = 0; i < 300 && !answer.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
      socket.destroy();
      expect(answer).toMatch(/^HTTP\/1\.1 413/);
    } finally {
      await server.close();
    }
    expect(codes()).toEqual(['FILE_TOO_LARGE', 'FILE_TOO_LARGE']);
    expect(reached()).toBe(0);
  });

  it('files over 4 MiB together are 413 FILES_TOO_LARGE, each under the per-file cap', async () => {
    const { app, reached } = makeApp();
    let req = request(app.callback()).post('/');
    for (let i = 0; i < 5; i++) req = req.attach(`f${i}`, randomBytes(900 * 1024), `f${i}.bin`);
    const res = await req;
    expect(res.status).toBe(413);
    expect(codes()).toEqual(['FILES_TOO_LARGE']);
    expect(reached()).toBe(0);
    // The limits are options.
    const roomy = makeApp({ limits: { fileSize: 2 * MiB, totalFileSize: 3 * MiB } });
    const ok = await request(roomy.app.callback())
      .post('/')
      .attach('a', randomBytes(1.5 * MiB), 'a')
      .attach('b', randomBytes(1.4 * MiB), 'b');
    expect(ok.status).toBe(200);
    const over = await request(roomy.app.callback())
      .post('/')
      .attach('a', randomBytes(1.5 * MiB), 'a')
      .attach('b', randomBytes(1.6 * MiB), 'b');
    expect(over.status).toBe(413);
    expect(codes()).toEqual(['FILES_TOO_LARGE']);
  });

  it('many small files: up to limits.files are kept, one more is 413 TOO_MANY_FILES', async () => {
    const { app } = makeApp({ limits: { files: 20 } });
    let ok = request(app.callback()).post('/');
    for (let i = 0; i < 20; i++) ok = ok.attach('f', Buffer.from(`file ${i}`), `${i}.txt`);
    const res = await ok;
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(20);
    expect(res.body[7].sha).toBe(sha(Buffer.from('file 7')));
    let tooMany = request(app.callback()).post('/');
    for (let i = 0; i < 21; i++) tooMany = tooMany.attach('f', Buffer.from(`file ${i}`), `${i}.txt`);
    expect((await tooMany).status).toBe(413);
    expect(codes()).toEqual(['TOO_MANY_FILES']);
  });

  it('clients that hang up mid-file leave no buffers behind', async () => {
    const { app, reached } = makeApp();
    const server = await listen(app);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 20));
        gc();
      }
      return process.memoryUsage().arrayBuffers;
    };
    try {
      const boundary = 'kkabort';
      const abortOnce = async () => {
        const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
        socket.on('error', () => {});
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.write(
          `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${2 * MiB}\r\n\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="a"; filename="a.bin"\r\n\r\n`,
        );
        socket.write(randomBytes(900 * 1024));
        await new Promise((r) => setTimeout(r, 30));
        socket.destroy();
        await new Promise((r) => setTimeout(r, 30));
      };
      await abortOnce();
      const before = await settle();
      for (let i = 0; i < 20; i++) await abortOnce();
      const after = await settle();
      // 20 x 900 KiB were held at some point; what stays is noise.
      expect(after - before).toBeLessThan(4 * MiB);
      expect(reached()).toBe(0);
      expect(codes().every((c) => c === 'UPLOAD_ABORTED')).toBe(true);
      // And the server still takes uploads.
      const ok = await request(server.url).post('/').attach('f', Buffer.from('fine'), 'fine.txt');
      expect(ok.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses options that only make sense on disk, and multer storage engines', () => {
    expect(() => upload({ storage: 'memory', dest: '/tmp/x' })).toThrow(
      'upload(): "dest" option does not go with storage: "memory"',
    );
    expect(() => upload({ storage: 'memory', keep: true })).toThrow(/"keep" option does not go/);
    expect(() => upload({ storage: 'memory', filename: () => 'a' })).toThrow(/"filename" option does not go/);
    expect(() => upload({ storage: multer.memoryStorage() as never })).toThrow(
      /upload\(\): "storage" option must be "disk" or "memory"/,
    );
    expect(() => upload({ limits: { totalFileSize: 10 } })).toThrow(/"limits.totalFileSize" goes with storage/);
    expect(() => upload({ storage: 'memory', limits: { totalFileSize: 0 } })).toThrow(/totalFileSize/);
  });
});
