import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { type Listening, listen, tempDir } from '@koa-kit/testing';
import createError from 'http-errors';
import type Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { appWith, type TestApp } from './helpers.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Listening | undefined;
let current: TestApp | undefined;

beforeAll(async () => {
  dir = await tempDir('koa-kit-errors-');
  await writeFile(path.join(dir.path, 'hello.txt'), 'hello world');
  await writeFile(path.join(dir.path, 'big.bin'), randomBytes(3 * 1024 * 1024 + 17));
});
afterAll(() => dir.remove());
afterEach(async () => {
  await server?.close();
  server = undefined;
  current?.appErrors.assertNone();
  current = undefined;
});

async function serve(handler: Koa.Middleware): Promise<string> {
  current = appWith(handler);
  server = await listen(current.app);
  return server.url;
}

/** Waits until the app has emitted `count` errors (no fixed sleep), and takes them. */
async function emitted(count: number): Promise<Error[]> {
  const test = current!;
  while (test.appErrors.errors.length < count) await once(test.app, 'error');
  return test.appErrors.take() as Error[];
}

/** Closes the server: once every connection is closed, everything errors() would emit has been. */
async function closeServer(): Promise<void> {
  await server?.close();
  server = undefined;
}

/** A raw request: status line, headers, body and whether the server cut the connection. */
function raw(
  url: string,
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      let body = '';
      let aborted = false;
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('aborted', () => {
        aborted = true;
      });
      res.on('error', () => {
        aborted = true;
      });
      res.on('close', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body, aborted: aborted || !res.complete }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('body streams that fail before their first byte', () => {
  test('a file that does not exist is a rendered 404 that hides the path', async () => {
    const url = await serve((ctx) => {
      ctx.set('Content-Disposition', 'attachment; filename="missing.bin"');
      ctx.body = createReadStream(path.join(dir.path, 'missing.bin'));
    });
    const res = await raw(`${url}/download`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['content-disposition']).toBeUndefined();
    expect(JSON.parse(res.body)).toMatchObject({ status: 404, code: 'NOT_FOUND', detail: 'Not Found' });
    expect(res.body).not.toContain(dir.path);
    expect(res.body).not.toContain('ENOENT');
  });

  test('HEAD of a missing file is a 404 too', async () => {
    const url = await serve((ctx) => {
      ctx.body = createReadStream(path.join(dir.path, 'missing.bin'));
    });
    const res = await raw(`${url}/x`, 'HEAD');
    expect(res.status).toBe(404);
    expect(res.body).toBe('');
  });

  test('a directory opened as a file is a 500 that is emitted once, without fs details', async () => {
    const url = await serve((ctx) => {
      ctx.body = createReadStream(dir.path);
    });
    const res = await raw(url);
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'BODY_STREAM_ERROR', detail: 'Internal Server Error' });
    expect(res.body).not.toContain('EISDIR');
    const emitted = current!.appErrors.take() as Error[];
    expect(emitted).toHaveLength(1);
    expect((emitted[0]!.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
  });

  test('a generic stream that errors before its first chunk is rendered', async () => {
    const url = await serve((ctx) => {
      ctx.body = Readable.from(
        (async function* () {
          await sleep(30);
          throw new Error('upstream reset');
          // biome-ignore lint/correctness/noUnreachable: a generator that fails before yielding
          yield 'never';
        })(),
      );
    });
    const res = await raw(url);
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('upstream reset');
    expect(current!.appErrors.take()).toHaveLength(1);
  });

  test('a stream that fails with an HttpError keeps its status and code', async () => {
    const url = await serve((ctx) => {
      const body = new PassThrough();
      setTimeout(() => body.destroy(createError(416, 'Range Not Satisfiable', { code: 'RANGE_NOT_SATISFIABLE' })), 10);
      ctx.body = body;
    });
    const res = await raw(url);
    expect(res.status).toBe(416);
    expect(JSON.parse(res.body).code).toBe('RANGE_NOT_SATISFIABLE');
  });

  test('a working file and a slow generic stream are sent untouched', async () => {
    const url = await serve((ctx) => {
      if (ctx.path === '/file') ctx.body = createReadStream(path.join(dir.path, 'hello.txt'));
      else
        ctx.body = Readable.from(
          (async function* () {
            await sleep(20);
            yield 'a';
            await sleep(20);
            yield 'b';
          })(),
        );
    });
    expect(await raw(`${url}/file`)).toMatchObject({ status: 200, body: 'hello world', aborted: false });
    expect(await raw(`${url}/slow`)).toMatchObject({ status: 200, body: 'ab', aborted: false });
    const empty = await fetch(`${url}/file`, { method: 'HEAD' });
    expect(empty.status).toBe(200);
  });

  test('a 3 MiB file arrives byte for byte after the wait for its first chunk', async () => {
    const url = await serve((ctx) => {
      ctx.body = createReadStream(path.join(dir.path, 'big.bin'));
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const received = Buffer.from(await res.arrayBuffer());
    expect(received.equals(await readFile(path.join(dir.path, 'big.bin')))).toBe(true);
  });

  test('a handler that took over the response (ctx.respond = false) still gets its error rendered', async () => {
    const url = await serve((ctx) => {
      ctx.respond = false;
      throw Object.assign(new Error('bad'), { status: 400, expose: true });
    });
    const res = await raw(url);
    expect(res.status).toBe(400);
    expect(res.aborted).toBe(false);
    expect(JSON.parse(res.body).detail).toBe('bad');
  });

  test('an empty stream gives an empty 200', async () => {
    const url = await serve((ctx) => {
      ctx.body = Readable.from([]);
    });
    expect(await raw(url)).toMatchObject({ status: 200, body: '', aborted: false });
  });
});

describe('failures after the headers are sent', () => {
  test('a stream failing mid-body cuts the connection, emits once, and the server keeps serving', async () => {
    const url = await serve((ctx) => {
      if (ctx.path === '/ok') {
        ctx.body = { ok: true };
        return;
      }
      ctx.body = Readable.from(
        (async function* () {
          yield 'x'.repeat(1000);
          await sleep(30);
          throw new Error('disk failed mid-way');
        })(),
      );
    });
    const res = await raw(url);
    expect(res.status).toBe(200);
    expect(res.aborted).toBe(true);
    expect(res.body).toBe('x'.repeat(1000)); // no second write: no error text appended
    expect((await emitted(1)).map((e) => e.message)).toEqual(['disk failed mid-way']);
    expect(await raw(`${url}/ok`)).toMatchObject({ status: 200, body: '{"ok":true}' });
    await closeServer();
    expect(current!.appErrors.errors).toEqual([]); // emitted once: nothing more once all is closed
  });

  test('curl sees a truncated transfer, not a complete response', async () => {
    const url = await serve((ctx) => {
      ctx.body = Readable.from(
        (async function* () {
          yield 'partial';
          await sleep(30);
          throw new Error('mid-way');
        })(),
      );
    });
    const result = await run('curl', ['-sS', '--max-time', '5', url]).then(
      () => ({ code: 0 }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(result.code).toBe(18); // CURLE_PARTIAL_FILE
    current!.appErrors.take();
  });

  test('a handler that throws after flushing headers: the response is cut, the error emitted once', async () => {
    const url = await serve(async (ctx) => {
      ctx.status = 200;
      ctx.type = 'text';
      ctx.res.write('started ');
      await sleep(10);
      throw new Error('late failure');
    });
    const res = await raw(url);
    expect(res.status).toBe(200);
    expect(res.body).toBe('started ');
    expect(res.aborted).toBe(true);
    expect((current!.appErrors.take() as Error[]).map((e) => e.message)).toEqual(['late failure']);
  });

  test('an upstream ECONNRESET of the body stream itself is still reported', async () => {
    const url = await serve((ctx) => {
      ctx.body = Readable.from(
        (async function* () {
          yield 'chunk';
          await sleep(20);
          throw Object.assign(new Error('upstream socket hang up'), { code: 'ECONNRESET' });
        })(),
      );
    });
    const res = await raw(url);
    expect(res.aborted).toBe(true);
    expect((await emitted(1)).map((e) => e.message)).toEqual(['upstream socket hang up']);
  });

  test('a client that disconnects mid-stream is not reported as an error', async () => {
    let bodyDestroyed!: () => void;
    const destroyed = new Promise<void>((resolve) => {
      bodyDestroyed = resolve;
    });
    const url = await serve((ctx) => {
      const body = new Readable({
        read() {
          setTimeout(() => this.push('y'.repeat(64 * 1024)), 5);
        },
        destroy(err, cb) {
          bodyDestroyed();
          cb(err);
        },
      });
      ctx.body = body;
    });
    await new Promise<void>((resolve) => {
      const req = http.get(url, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
    });
    await destroyed; // Koa saw the client go and destroyed the body
    await closeServer();
    expect(current!.appErrors.errors).toEqual([]);
  });
});

describe("failures in Koa's respond()", () => {
  test('a body with a circular reference is a rendered 500, emitted once', async () => {
    const url = await serve((ctx) => {
      const body: Record<string, unknown> = { name: 'loop' };
      body.self = body;
      ctx.set('ETag', '"x"');
      ctx.body = body;
    });
    const res = await raw(url);
    expect(res.status).toBe(500);
    expect(res.aborted).toBe(false);
    expect(res.headers.etag).toBeUndefined();
    expect(JSON.parse(res.body)).toMatchObject({ status: 500, detail: 'Internal Server Error' });
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
    const emitted = current!.appErrors.take() as Error[];
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.message).toMatch(/circular/i);
  });

  test('a BigInt in a body is a rendered 500 (HTML for a browser)', async () => {
    current = appWith((ctx) => {
      ctx.body = { n: 10n };
    });
    server = await listen(current.app);
    const res = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('<h1>500 Internal Server Error</h1>');
    current.appErrors.take();
  });
});
