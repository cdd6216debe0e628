import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rangeDownload } from '@koa-kit/range-download';
import { serveStatic } from '@koa-kit/static';
import { collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMultipart, rawRequest } from './helpers.js';

// app.use(rangeDownload()); app.use(serveStatic(root)): the composition the READMEs document.
const BIG = randomBytes(3 * 1024 * 1024); // streamed by serveStatic (above its small-file cache limit)
const SMALL = randomBytes(4096); // held in serveStatic's small-file cache: a Buffer body
let dir: { path: string; remove(): Promise<void> };
let server: Listening;
let errors: ReturnType<typeof collectAppErrors>;

beforeAll(async () => {
  dir = await tempDir('kk-compose-');
  const root = path.join(dir.path, 'public');
  await mkdir(root);
  await writeFile(path.join(root, 'big.bin'), BIG);
  await writeFile(path.join(root, 'small.bin'), SMALL);
  await writeFile(path.join(root, 'app.js'), 'plain javascript source');
  await writeFile(path.join(root, 'app.js.br'), 'BROTLI-ENCODED-BYTES');
  await writeFile(path.join(dir.path, 'secret.txt'), 'SECRET');
  const app = new Koa();
  errors = collectAppErrors(app);
  app.use(rangeDownload());
  app.use(serveStatic(root));
  server = await listen(app);
});
afterAll(async () => {
  await server.close();
  await dir.remove();
});
afterEach(() => {
  for (const e of errors.take() as Array<{ status?: number }>) expect(e.status).toBeLessThan(500);
});

const get = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawRequest(server.url, target, { headers, method });

describe.each([
  ['/big.bin', BIG],
  ['/small.bin', SMALL],
] as const)('rangeDownload above serveStatic: %s', (target, whole) => {
  const size = whole.length;

  it('200 carries Accept-Ranges, ETag, Content-Length', async () => {
    const res = await get(target);
    expect(res.status).toBe(200);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-length']).toBe(String(size));
    expect(res.body.equals(whole)).toBe(true);
  });

  it('single, suffix and open ranges', async () => {
    for (const [range, start, end] of [
      ['bytes=0-99', 0, 99],
      ['bytes=-100', size - 100, size - 1],
      ['bytes=1000-', 1000, size - 1],
    ] as const) {
      const res = await get(target, { Range: range });
      expect(res.status, range).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.headers['content-length']).toBe(String(end - start + 1));
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.body.equals(whole.subarray(start, end + 1))).toBe(true);
    }
  });

  it('multipart ranges', async () => {
    const res = await get(target, { Range: 'bytes=0-9,100-199' });
    expect(res.status).toBe(206);
    const { parts } = parseMultipart(res.body, res.headers['content-type']!);
    expect(parts).toHaveLength(2);
    expect(parts[1]!.body.equals(whole.subarray(100, 200))).toBe(true);
    expect(parts[0]!.headers['content-type']).toBe('application/octet-stream');
  });

  it('If-Range with serveStatic ETag / Last-Modified gives 206; a stale one 200', async () => {
    const first = await get(target);
    expect((await get(target, { Range: 'bytes=0-9', 'If-Range': first.headers.etag! })).status).toBe(206);
    expect((await get(target, { Range: 'bytes=0-9', 'If-Range': first.headers['last-modified']! })).status).toBe(206);
    expect((await get(target, { Range: 'bytes=0-9', 'If-Range': '"0-0"' })).status).toBe(200);
  });

  it('If-None-Match wins over Range (304), 416 carries bytes */size', async () => {
    const first = await get(target);
    expect((await get(target, { Range: 'bytes=0-9', 'If-None-Match': first.headers.etag! })).status).toBe(304);
    const refused = await get(target, { Range: `bytes=${size}-` });
    expect(refused.status).toBe(416);
    expect(refused.headers['content-range']).toBe(`bytes */${size}`);
  });

  it('HEAD with Range: 206 headers without a body', async () => {
    const res = await get(target, { Range: 'bytes=10-19' }, 'HEAD');
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 10-19/${size}`);
    expect(res.headers['content-length']).toBe('10');
    expect(res.body.length).toBe(0);
  });
});

describe('precompressed siblings and ranges', () => {
  it('a single range is cut from the encoded bytes; several ranges send the whole encoded file', async () => {
    const one = await get('/app.js', { 'Accept-Encoding': 'br', Range: 'bytes=0-6' });
    expect(one.status).toBe(206);
    expect(one.headers['content-encoding']).toBe('br');
    expect(one.body.toString()).toBe('BROTLI-');
    const two = await get('/app.js', { 'Accept-Encoding': 'br', Range: 'bytes=0-1,4-5' });
    expect(two.status).toBe(200);
    expect(two.body.toString()).toBe('BROTLI-ENCODED-BYTES');
  });
});

describe('security holds through the composition', () => {
  it('traversal is refused, not ranged', async () => {
    const res = await get('/..%2fsecret.txt', { Range: 'bytes=0-1' });
    expect(res.status).toBe(403);
    expect(res.body.toString()).not.toContain('SECRET');
  });
});
