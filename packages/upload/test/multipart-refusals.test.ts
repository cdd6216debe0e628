import net from 'node:net';
import { type AppErrors, collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import { type UploadOptions, upload } from '@koa-kit/upload';
import createError from 'http-errors';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitEmpty } from './helpers.js';

// A multipart body refused part-way is answered at once with `Connection: close` and the rest is not
// read: multer alone reads the whole rest before answering (gigabytes, or forever for a chunked body).
// A small rest (64 KiB or less, by Content-Length) is read and dropped so the connection stays usable.

let dir: { path: string; remove(): Promise<void> };
let errors: AppErrors;

beforeEach(async () => {
  dir = await tempDir('kk-upload-refusals-');
});
afterEach(async () => {
  await dir.remove();
});

function makeApp(options: UploadOptions) {
  const app = new Koa();
  errors = collectAppErrors(app);
  app.use(upload({ dest: dir.path, ...options }));
  app.use((ctx) => {
    ctx.body = { names: (ctx.state.upload?.files ?? []).map((f) => f.originalname) };
  });
  return app;
}

function codes(): string[] {
  return errors
    .take()
    .map((e) => (e as { code?: string }).code ?? String(e))
    .filter((c) => /^[A-Z_]+$/.test(c) && !/^(ECONNRESET|EPIPE|HPE_|ERR_)/.test(c));
}

const BOUNDARY = 'kkrefusal';
const MiB = 1024 * 1024;

function filePart(field: string, name: string): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
}

function postHead(framing: string): string {
  return `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n${framing}\r\n\r\n`;
}

interface Exchange {
  status: number;
  headers: Record<string, string>;
  /** Body bytes the client had written when the answer arrived (-1: no answer). */
  sentBeforeAnswer: number;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/**
 * A client that keeps sending body bytes (as fast as the server takes them, up to `cap`) until an answer
 * arrives, then stops sending and waits for the server to close.
 */
async function sendUntilAnswered(
  server: Listening,
  head: string,
  start: Buffer,
  frame: (block: Buffer) => Buffer,
  cap: number,
): Promise<Exchange> {
  const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let received = '';
  let closed = false;
  let sent = 0;
  let sentBeforeAnswer = -1;
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
    if (sentBeforeAnswer < 0 && received.includes('\r\n\r\n')) sentBeforeAnswer = sent;
  });
  socket.write(head);
  socket.write(start);
  const block = Buffer.alloc(256 * 1024, 0x61);
  while (sent < cap && sentBeforeAnswer < 0 && !closed) {
    const more = socket.write(frame(block));
    sent += block.length;
    if (!more) {
      await Promise.race([
        new Promise((r) => socket.once('drain', r)),
        closedPromise,
        new Promise((r) => setTimeout(r, 200)),
      ]);
    }
  }
  await Promise.race([closedPromise, new Promise((r) => setTimeout(r, 2000))]);
  socket.destroy();
  const [statusLine, ...lines] = received.split('\r\n\r\n', 1)[0]!.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, sentBeforeAnswer, closed };
}

const chunked = (block: Buffer) =>
  Buffer.concat([Buffer.from(`${block.length.toString(16)}\r\n`), block, Buffer.from('\r\n')]);
const plain = (block: Buffer) => block;

/** The server still answers a normal upload on a new connection. */
async function stillServes(server: Listening) {
  const ok = await request(server.url).post('/').attach('f', Buffer.from('fine'), 'fine.txt');
  expect(ok.status).toBe(200);
  expect(ok.body.names).toEqual(['fine.txt']);
}

describe('upload(): a body refused part-way is not read to its end', () => {
  it('a chunked file over fileSize: answered 413 while the client still sends, Connection: close, socket closed', async () => {
    const app = makeApp({ limits: { fileSize: MiB, bodySize: 1024 * MiB } });
    const server = await listen(app);
    try {
      // Several rounds: a client still writing when the socket closes loses the answer unless the
      // server lingers (about one round in two without it).
      for (let round = 0; round < 5; round++) {
        // The final chunk never comes: draining this body would never end.
        const res = await sendUntilAnswered(
          server,
          postHead('Transfer-Encoding: chunked'),
          chunked(filePart('f', 'big.bin')),
          chunked,
          256 * MiB,
        );
        expect(res.status).toBe(413);
        expect(res.sentBeforeAnswer).toBeGreaterThan(0);
        // What the socket buffers hold on loopback, not what the client wanted to send.
        expect(res.sentBeforeAnswer).toBeLessThan(64 * MiB);
        expect(res.headers.connection).toBe('close');
        expect(res.closed).toBe(true);
        expect(codes()).toEqual(['FILE_TOO_LARGE']);
      }
      expect(await waitEmpty(dir.path)).toEqual([]);
      await stillServes(server);
    } finally {
      await server.close();
    }
  });

  it('a fileFilter refusal of the first file of a 512 MiB body is answered before the body is sent', async () => {
    const app = makeApp({
      limits: { fileSize: 1024 * MiB, bodySize: 1024 * MiB },
      fileFilter: (_ctx, file) => {
        if (file.originalname === 'a.bin') throw createError(403, 'not for you', { code: 'FILE_REFUSED' });
        return true;
      },
    });
    const server = await listen(app);
    try {
      const res = await sendUntilAnswered(
        server,
        postHead(`Content-Length: ${512 * MiB}`),
        filePart('f', 'a.bin'),
        plain,
        512 * MiB - 1000,
      );
      expect(res.status).toBe(403);
      expect(res.sentBeforeAnswer).toBeGreaterThanOrEqual(0);
      expect(res.sentBeforeAnswer).toBeLessThan(64 * MiB);
      expect(res.headers.connection).toBe('close');
      expect(res.closed).toBe(true);
      expect(codes()).toEqual(['FILE_REFUSED']);
      expect(await waitEmpty(dir.path)).toEqual([]);
      await stillServes(server);
    } finally {
      await server.close();
    }
  });

  it('too many files, with a large rest declared: answered at once, closed, the written files removed', async () => {
    const app = makeApp({ limits: { files: 1, bodySize: 1024 * MiB } });
    const server = await listen(app);
    try {
      const start = Buffer.concat([
        filePart('a', 'one.bin'),
        Buffer.alloc(5000, 1),
        Buffer.from('\r\n'),
        filePart('b', 'two.bin'),
      ]);
      const res = await sendUntilAnswered(server, postHead(`Content-Length: ${256 * MiB}`), start, plain, 200 * MiB);
      expect(res.status).toBe(413);
      expect(res.sentBeforeAnswer).toBeLessThan(64 * MiB);
      expect(res.headers.connection).toBe('close');
      expect(res.closed).toBe(true);
      expect(codes()).toEqual(['TOO_MANY_FILES']);
      expect(await waitEmpty(dir.path)).toEqual([]);
      await stillServes(server);
    } finally {
      await server.close();
    }
  });

  it('a Content-Length over bodySize is refused before reading and the connection is closed (Node would read it all)', async () => {
    const app = makeApp({ limits: { bodySize: MiB } });
    const server = await listen(app);
    try {
      const res = await sendUntilAnswered(
        server,
        postHead(`Content-Length: ${512 * MiB}`),
        filePart('f', 'a.bin'),
        plain,
        256 * MiB,
      );
      expect(res.status).toBe(413);
      expect(res.sentBeforeAnswer).toBeLessThan(64 * MiB);
      expect(res.headers.connection).toBe('close');
      expect(res.closed).toBe(true);
      expect(codes()).toEqual(['BODY_TOO_LARGE']);
      await stillServes(server);
    } finally {
      await server.close();
    }
  });

  it('a small rest (under 64 KiB) is read and dropped: no Connection: close, the next request on the socket is answered', async () => {
    const app = makeApp({ limits: { fileSize: 1000 } });
    const server = await listen(app);
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    // Response heads (the bodies between them carry no CRLFCRLF).
    const heads = () => received.match(/HTTP\/1\.1 \d{3}[\s\S]*?\r\n\r\n/g) ?? [];
    try {
      const body = Buffer.concat([
        filePart('f', 'a.bin'),
        Buffer.alloc(20_000, 2),
        Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
      ]);
      socket.write(postHead(`Content-Length: ${body.length}`));
      socket.write(body);
      for (let i = 0; i < 300 && heads().length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      expect(heads()[0]).toMatch(/^HTTP\/1\.1 413/);
      expect(heads()[0]!.toLowerCase()).not.toContain('connection: close');
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      for (let i = 0; i < 300 && heads().length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(heads()[1]).toMatch(/^HTTP\/1\.1 200/);
      expect(codes()).toEqual(['FILE_TOO_LARGE']);
      expect(await waitEmpty(dir.path)).toEqual([]);
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
