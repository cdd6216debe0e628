import { randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { rangeDownload, sendFile } from '@koa-kit/range-download';
import { collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMultipart, rawRequest } from './helpers.js';

const SIZE = 10_000;
const CONTENT = randomBytes(SIZE);
const TEXT = 'héllo wörld, ranges in UTF-8 bytes ✓';

let dir: { path: string; remove(): Promise<void> };
let file: string;
let server: Listening;
let errors: ReturnType<typeof collectAppErrors>;
const opened: ReadStream[] = [];
let downstreamRan = 0;

beforeAll(async () => {
  dir = await tempDir('kk-range-');
  file = path.join(dir.path, 'data.bin');
  await writeFile(file, CONTENT);
  const app = new Koa();
  errors = collectAppErrors(app);
  app.use(rangeDownload());
  app.use(async (ctx) => {
    downstreamRan++;
    switch (ctx.path) {
      case '/buffer':
        ctx.set('ETag', '"buf-1"');
        ctx.set('Last-Modified', 'Wed, 21 Oct 2015 07:28:00 GMT');
        ctx.type = 'application/octet-stream';
        ctx.body = CONTENT;
        break;
      case '/string':
        ctx.body = TEXT;
        break;
      case '/stream': {
        const s = createReadStream(file);
        opened.push(s);
        ctx.type = 'bin';
        ctx.body = s;
        break;
      }
      case '/stream-with-length': {
        const s = createReadStream(file);
        opened.push(s);
        ctx.body = s;
        ctx.length = SIZE;
        break;
      }
      case '/weak':
        ctx.set('ETag', 'W/"weak"');
        ctx.body = CONTENT;
        break;
      case '/partial-stream':
        ctx.body = createReadStream(file, { start: 10 });
        break;
      case '/generated':
        ctx.body = Readable.from([Buffer.from('abc'), Buffer.from('def')]);
        ctx.length = 6;
        break;
      case '/sendfile':
        await sendFile(ctx, file, { filename: 'data.bin' });
        break;
      case '/created':
        ctx.status = 201;
        ctx.body = CONTENT;
        break;
      case '/empty':
        ctx.body = Buffer.alloc(0);
        break;
    }
  });
  server = await listen(app);
});
afterAll(async () => {
  await server.close();
  await dir.remove();
});
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

afterEach(() => {
  const emitted = errors.take() as Array<{ status?: number; code?: string }>;
  // Koa 3 emits a client hanging up mid-body (the test client may close first) as an app error:
  // that is the client's doing, not a server error.
  const serverErrors = emitted.filter((e) => !CLIENT_GONE.has(e.code ?? ''));
  for (const e of serverErrors) expect(e.status, (e as Error).stack ?? String(e)).toBeLessThan(500);
});

const get = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawRequest(server.url, target, { headers, method });

const KINDS = [
  ['/buffer', CONTENT],
  ['/stream', CONTENT],
  ['/stream-with-length', CONTENT],
  ['/sendfile', CONTENT],
  ['/string', Buffer.from(TEXT)],
] as const;

describe.each(KINDS)('%s', (target, whole) => {
  const size = whole.length;

  it('200 with Accept-Ranges and the whole body without Range', async () => {
    const res = await get(target);
    expect(res.status).toBe(200);
    expect(res.headers['accept-ranges']).toBe('bytes');
    // a bare fs stream keeps its chunked 200 (its length is only used to cut ranges)
    if (target !== '/stream') expect(res.headers['content-length']).toBe(String(size));
    expect(res.body.equals(whole)).toBe(true);
  });

  it.each([
    ['bytes=0-9', 0, 9],
    ['bytes=5-5', 5, 5],
    ['bytes=-7', size - 7, size - 1],
    ['bytes=20-', 20, size - 1],
    ['bytes=3-99999999', 3, size - 1],
    ['bytes=0-3,4-9', 0, 9],
    ['bytes=2-6,0-4', 0, 6],
  ])('%s -> one 206 part', async (range, start, end) => {
    const res = await get(target, { Range: range });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.body.equals(whole.subarray(start, end + 1))).toBe(true);
  });

  it('several ranges -> multipart/byteranges with the right bytes and length', async () => {
    const res = await get(target, { Range: 'bytes=0-1, 10-19, -5' });
    expect(res.status).toBe(206);
    const type = res.headers['content-type']!;
    expect(type).toMatch(/^multipart\/byteranges; boundary=[0-9a-f]+$/);
    expect(res.headers['content-length']).toBe(String(res.body.length));
    const { parts, closed } = parseMultipart(res.body, type);
    expect(closed).toBe(true);
    expect(parts.map((p) => p.headers['content-range'])).toEqual([
      `bytes 0-1/${size}`,
      `bytes 10-19/${size}`,
      `bytes ${size - 5}-${size - 1}/${size}`,
    ]);
    expect(parts[0]!.body.equals(whole.subarray(0, 2))).toBe(true);
    expect(parts[1]!.body.equals(whole.subarray(10, 20))).toBe(true);
    expect(parts[2]!.body.equals(whole.subarray(size - 5))).toBe(true);
    expect(parts[0]!.headers['content-type']).toBeTruthy();
  });

  it('unsatisfiable -> 416 with Content-Range: bytes */size', async () => {
    const res = await get(target, { Range: `bytes=${size}-` });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${size}`);
    expect(res.body.toString()).not.toContain(whole.subarray(0, 8).toString());
  });

  it.each(['bytes=abc', 'bytes=5-1', 'items=0-1', 'bytes=0-1,x'])('invalid %s is ignored -> 200', async (range) => {
    const res = await get(target, { Range: range });
    expect(res.status).toBe(200);
    expect(res.body.equals(whole)).toBe(true);
  });

  it('more than maxRanges (16) ranges -> the whole body', async () => {
    const many = `bytes=${Array.from({ length: 17 }, (_, i) => `${i * 3}-${i * 3}`).join(',')}`;
    const res = await get(target, { Range: many });
    expect(res.status).toBe(200);
    expect(res.body.equals(whole)).toBe(true);
  });

  it('HEAD with Range: the same headers, no body', async () => {
    const res = await get(target, { Range: 'bytes=0-9' }, 'HEAD');
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-9/${size}`);
    expect(res.headers['content-length']).toBe('10');
    expect(res.body.length).toBe(0);
  });
});

describe('If-Range', () => {
  it('a strong ETag that matches gives 206, a different one the whole body', async () => {
    expect((await get('/buffer', { Range: 'bytes=0-9', 'If-Range': '"buf-1"' })).status).toBe(206);
    const stale = await get('/buffer', { Range: 'bytes=0-9', 'If-Range': '"buf-0"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(CONTENT)).toBe(true);
  });

  it('a weak ETag never gives 206 (either side)', async () => {
    expect((await get('/buffer', { Range: 'bytes=0-9', 'If-Range': 'W/"buf-1"' })).status).toBe(200);
    expect((await get('/weak', { Range: 'bytes=0-9', 'If-Range': 'W/"weak"' })).status).toBe(200);
    expect((await get('/weak', { Range: 'bytes=0-9', 'If-Range': '"weak"' })).status).toBe(200);
  });

  it('a date gives 206 only when it equals Last-Modified', async () => {
    expect((await get('/buffer', { Range: 'bytes=0-9', 'If-Range': 'Wed, 21 Oct 2015 07:28:00 GMT' })).status).toBe(
      206,
    );
    expect((await get('/buffer', { Range: 'bytes=0-9', 'If-Range': 'Wed, 21 Oct 2015 07:29:00 GMT' })).status).toBe(
      200,
    );
  });

  it('sendFile validators work with If-Range', async () => {
    const first = await get('/sendfile');
    const ok = await get('/sendfile', { Range: 'bytes=0-9', 'If-Range': first.headers.etag! });
    expect(ok.status).toBe(206);
    const byDate = await get('/sendfile', { Range: 'bytes=0-9', 'If-Range': first.headers['last-modified']! });
    expect(byDate.status).toBe(206);
  });
});

describe('bodies it leaves alone', () => {
  it('a stream of unknown origin, a stream not at its start, a non-200 status', async () => {
    const gen = await get('/generated', { Range: 'bytes=0-1' });
    expect(gen.status).toBe(200);
    expect(gen.headers['accept-ranges']).toBeUndefined();
    expect(gen.body.toString()).toBe('abcdef');
    const partial = await get('/partial-stream', { Range: 'bytes=0-1' });
    expect(partial.status).toBe(200);
    expect(partial.body.equals(CONTENT.subarray(10))).toBe(true);
    const created = await get('/created', { Range: 'bytes=0-1' });
    expect(created.status).toBe(201);
    expect(created.body.length).toBe(SIZE);
    const missing = await get('/nothing-here', { Range: 'bytes=0-1' });
    expect(missing.status).toBe(404);
  });

  it('a zero-length body is sent whole (200), whatever the Range', async () => {
    const res = await get('/empty', { Range: 'bytes=0-' });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
  });

  it('methods other than GET and HEAD are untouched', async () => {
    const res = await get('/buffer', { Range: 'bytes=0-1' }, 'POST');
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(SIZE);
  });
});

describe('file streams', () => {
  it('the original stream is destroyed unread and the range reopened', async () => {
    opened.length = 0;
    const res = await get('/stream', { Range: 'bytes=100-199' });
    expect(res.status).toBe(206);
    expect(res.body.equals(CONTENT.subarray(100, 200))).toBe(true);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.destroyed).toBe(true);
    expect(opened[0]!.bytesRead).toBe(0);
  });

  it('the 416 refusal destroys the stream too and carries the documented code', async () => {
    opened.length = 0;
    const res = await get('/stream', { Range: 'bytes=99999-' });
    expect(res.status).toBe(416);
    expect(opened[0]!.destroyed).toBe(true);
    const [err] = errors.take() as Array<{ code: string; status: number; expose: boolean; headers: object }>;
    expect(err).toMatchObject({
      code: 'RANGE_NOT_SATISFIABLE',
      status: 416,
      expose: true,
      headers: { 'Content-Range': `bytes */${SIZE}` },
    });
  });

  it('reads match the file on disk', () => {
    expect(readFileSync(file).equals(CONTENT)).toBe(true);
    expect(downstreamRan).toBeGreaterThan(0);
  });
});

describe('options', () => {
  it.each([
    [{ maxRanges: 0 }, /"maxRanges"/],
    [{ maxRanges: 1.5 }, /"maxRanges"/],
    [{ maxRanges: '16' }, /"maxRanges"/],
    [{ highWaterMark: 1 }, /"highWaterMark"/],
  ])('%j throws a TypeError naming the option', (options, message) => {
    expect(() => rangeDownload(options as never)).toThrow(TypeError);
    expect(() => rangeDownload(options as never)).toThrow(message);
  });

  it('maxRanges is honoured and the middleware is named', async () => {
    const app = new Koa();
    const mw = rangeDownload({ maxRanges: 2 });
    expect(mw.name).toBe('rangeDownload');
    app.use(mw);
    app.use((ctx) => {
      ctx.body = CONTENT;
    });
    const s = await listen(app);
    try {
      expect((await rawRequest(s.url, '/', { headers: { Range: 'bytes=0-1,5-6' } })).status).toBe(206);
      expect((await rawRequest(s.url, '/', { headers: { Range: 'bytes=0-1,5-6,9-9' } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
