import net from 'node:net';
import { type Listening, listen } from '@koa-kit/testing';
import createError from 'http-errors';
import { afterEach, describe, expect, test } from 'vitest';
import { appWith, type TestApp } from '../helpers.js';

let current: TestApp | undefined;
let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  current?.appErrors.assertNone();
  current = undefined;
});

/** Reads one HTTP/1.1 response with a Content-Length body from the socket's buffered data. */
function readResponse(socket: net.Socket, buffered: { data: Buffer }, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('no answer in time')), timeoutMs);
    const check = () => {
      const text = buffered.data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (buffered.data.length < end + 4 + length) return;
      buffered.data = buffered.data.subarray(end + 4 + length);
      done(undefined, text.slice(0, end + 4 + length));
    };
    const onClose = () => done(new Error('connection closed'));
    function done(err?: Error, head?: string) {
      clearTimeout(timer);
      socket.off('data', check);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(head!);
    }
    socket.on('data', check);
    socket.on('close', onClose);
    check();
  });
}

async function connect(port: number): Promise<{ socket: net.Socket; buffered: { data: Buffer } }> {
  const socket = net.connect(port, '127.0.0.1');
  const buffered = { data: Buffer.alloc(0) };
  socket.on('data', (chunk: Buffer) => {
    buffered.data = Buffer.concat([buffered.data, chunk]);
  });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, buffered };
}

function post(size: number): string {
  return `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\n\r\n`;
}

const GET = 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n';

/** A route that starts reading the body (as a multipart parser does), then gives up and throws. */
const startsThenThrows = async (ctx: import('koa').Context) => {
  if (ctx.path === '/next') {
    ctx.body = 'next';
    return;
  }
  await new Promise<void>((resolve) => {
    ctx.req.once('data', () => {
      ctx.req.pause();
      resolve();
    });
  });
  throw createError(415, 'Unsupported', { code: 'UNSUPPORTED_MEDIA_TYPE' });
};

describe('an error with an unread request body keeps keep-alive usable', () => {
  test('a 1 MiB body the route stopped reading: the next request on the socket is answered', async () => {
    current = appWith(startsThenThrows);
    server = await listen(current.app);
    const { socket, buffered } = await connect(server.port);
    socket.write(post(1024 * 1024));
    socket.write(Buffer.alloc(1024 * 1024, 97));
    const first = await readResponse(socket, buffered);
    expect(first).toMatch(/^HTTP\/1\.1 415/);
    expect(first).not.toMatch(/connection: close/i);
    socket.write(GET);
    const second = await readResponse(socket, buffered);
    expect(second).toMatch(/^HTTP\/1\.1 200/);
    expect(second.endsWith('next')).toBe(true);
    socket.destroy();
  });

  test('a route that throws before touching the body: the next request is answered', async () => {
    current = appWith((ctx) => {
      if (ctx.path === '/next') {
        ctx.body = 'next';
        return;
      }
      throw createError(403, 'Forbidden');
    });
    server = await listen(current.app);
    const { socket, buffered } = await connect(server.port);
    socket.write(post(200_000));
    socket.write(Buffer.alloc(200_000, 97));
    expect(await readResponse(socket, buffered)).toMatch(/^HTTP\/1\.1 403/);
    socket.write(GET);
    expect(await readResponse(socket, buffered)).toMatch(/^HTTP\/1\.1 200/);
    socket.destroy();
  });

  test('a declared body past the drain bound: Connection: close, and the connection is closed', async () => {
    current = appWith(startsThenThrows, { drainLimit: 64 * 1024 });
    server = await listen(current.app);
    const { socket, buffered } = await connect(server.port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(post(1024 * 1024));
    socket.write(Buffer.alloc(128 * 1024, 97));
    const first = await readResponse(socket, buffered);
    expect(first).toMatch(/^HTTP\/1\.1 415/);
    expect(first).toMatch(/connection: close/i);
    await closed;
  });

  test('the default bound is 1 MiB: a body declared one byte larger gets Connection: close', async () => {
    current = appWith(startsThenThrows);
    server = await listen(current.app);
    const { socket, buffered } = await connect(server.port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(post(1024 * 1024 + 1));
    socket.write(Buffer.alloc(64 * 1024, 97));
    const first = await readResponse(socket, buffered);
    expect(first).toMatch(/^HTTP\/1\.1 415/);
    expect(first).toMatch(/connection: close/i);
    await closed;
  });

  test('a chunked body that grows past the drain bound: the connection is closed after the answer', async () => {
    current = appWith(startsThenThrows, { drainLimit: 64 * 1024 });
    server = await listen(current.app);
    const { socket, buffered } = await connect(server.port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(16 * 1024, 97);
    const writeChunk = () => socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`);
    writeChunk();
    const first = await readResponse(socket, buffered);
    expect(first).toMatch(/^HTTP\/1\.1 415/);
    const timer = setInterval(() => {
      if (!socket.destroyed) writeChunk();
    }, 5);
    await closed;
    clearInterval(timer);
  });
});
