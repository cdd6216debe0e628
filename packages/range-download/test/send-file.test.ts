import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { rangeDownload, sendFile } from '@koa-kit/range-download';
import { collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers.js';

const run = promisify(execFile);
let dir: { path: string; remove(): Promise<void> };
let server: Listening;
let errors: ReturnType<typeof collectAppErrors>;
let app: Koa;

/** Waits for the app to emit an error with this code (no fixed sleep), then takes every error. */
async function emittedCode(code: string): Promise<(string | undefined)[]> {
  const has = () => errors.errors.some((e) => (e as { code?: string }).code === code);
  while (!has()) await once(app, 'error');
  return errors.take().map((e) => (e as { code?: string }).code);
}
let report: string;

beforeAll(async () => {
  dir = await tempDir('kk-sendfile-');
  report = path.join(dir.path, 'report.pdf');
  await writeFile(report, '%PDF-1.4 fake');
  await mkdir(path.join(dir.path, 'folder'));
  app = new Koa();
  errors = collectAppErrors(app);
  app.use(rangeDownload());
  app.use(async (ctx) => {
    const q = ctx.query;
    const file = typeof q.file === 'string' ? path.join(dir.path, q.file) : report;
    const options: Record<string, unknown> = {};
    if (typeof q.name === 'string') options.filename = q.name;
    if (q.inline === '1') options.inline = true;
    if (q.type === '1') options.type = 'application/x-custom';
    await sendFile(ctx, file, options);
  });
  server = await listen(app);
});
afterAll(async () => {
  await server.close();
  await dir.remove();
});

const get = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawRequest(server.url, target, { headers, method });

describe('sendFile', () => {
  it('sets type, length, ETag, Last-Modified and an attachment disposition', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-length']).toBe('13');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(res.headers['last-modified']).toBeTruthy();
    expect(res.headers['content-disposition']).toBe('attachment; filename="report.pdf"');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.body.toString()).toBe('%PDF-1.4 fake');
  });

  it('a non-ASCII filename gets filename*=UTF-8 and raw UTF-8 in filename (header bytes on the wire)', async () => {
    const res = await get(`/?name=${encodeURIComponent('报告.pdf')}`);
    const header = res.headers['content-disposition']!;
    expect(header).toContain("filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf");
    // Node decodes header bytes as latin1: turn them back into the UTF-8 bytes that were sent
    expect(Buffer.from(header, 'latin1').toString('utf8')).toContain('filename="报告.pdf"');
  });

  it('curl -O -J saves 报告.pdf intact', async () => {
    const out = path.join(dir.path, 'curl-out');
    await mkdir(out);
    await run('curl', ['-sS', '-f', '-O', '-J', `${server.url}/download?name=${encodeURIComponent('报告.pdf')}`], {
      cwd: out,
    });
    expect(await readdir(out)).toEqual(['报告.pdf']);
    expect(await readFile(path.join(out, '报告.pdf'), 'utf8')).toBe('%PDF-1.4 fake');
  });

  it('inline, explicit type, and hostile filenames cannot split the header', async () => {
    const inline = await get('/?inline=1&type=1');
    expect(inline.headers['content-disposition']).toBe('inline; filename="report.pdf"');
    expect(inline.headers['content-type']).toBe('application/x-custom');
    const hostile = await get(`/?name=${encodeURIComponent('a\r\nSet-Cookie: x=1/../"q".txt')}`);
    expect(hostile.status).toBe(200);
    expect(hostile.headers['set-cookie']).toBeUndefined();
    expect(hostile.headers['content-disposition']).toBe('attachment; filename="a__Set-Cookie: x=1_.._\\"q\\".txt"');
  });

  it('HEAD: same headers, no body; 304 on If-None-Match', async () => {
    const head = await get('/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('13');
    expect(head.body.length).toBe(0);
    const cached = await get('/', { 'If-None-Match': head.headers.etag! });
    expect(cached.status).toBe(304);
    expect(cached.body.length).toBe(0);
  });

  it('412 PRECONDITION_FAILED for an If-Match or If-Unmodified-Since the file no longer meets', async () => {
    const first = await get('/');
    const etag = first.headers.etag!;
    const older = new Date(Date.parse(first.headers['last-modified']!) - 10_000).toUTCString();
    expect((await get('/', { 'If-Match': etag })).status).toBe(200);
    expect((await get('/', { 'If-Match': '*' })).status).toBe(200);
    expect((await get('/', { 'If-Match': `"x", ${etag}` })).status).toBe(200);
    expect((await get('/', { 'If-Match': `W/${etag}` })).status).toBe(412);
    expect((await get('/', { 'If-Match': '"x"', 'If-None-Match': etag })).status).toBe(412);
    expect((await get('/', { 'If-Unmodified-Since': older })).status).toBe(412);
    expect((await get('/', { 'If-Unmodified-Since': older, 'If-Match': etag })).status).toBe(200);
    expect((await get('/', { 'If-Unmodified-Since': 'soon' })).status).toBe(200);
    expect(errors.take().map((e) => (e as { code?: string }).code)).toEqual(Array(3).fill('PRECONDITION_FAILED'));
  });

  it('a missing file or a folder is 404 FILE_NOT_FOUND', async () => {
    errors.take();
    expect((await get('/?file=nope.pdf')).status).toBe(404);
    expect((await get('/?file=folder')).status).toBe(404);
    const codes = errors.take().map((e) => (e as { code: string; expose: boolean }).code);
    expect(codes).toEqual(['FILE_NOT_FOUND', 'FILE_NOT_FOUND']);
  });

  it('bad arguments are TypeErrors naming the option', async () => {
    const ctx = {} as never;
    await expect(sendFile(ctx, '')).rejects.toThrow(/"path"/);
    await expect(sendFile(ctx, 'a\0b')).rejects.toThrow(/"path"/);
    await expect(sendFile(ctx, report, { filename: '' })).rejects.toThrow(/"filename"/);
    await expect(sendFile(ctx, report, { inline: 'yes' as never })).rejects.toThrow(/"inline"/);
    await expect(sendFile(ctx, report, { type: 3 as never })).rejects.toThrow(/"type"/);
    await expect(sendFile(ctx, report, { highWaterMark: 0 })).rejects.toThrow(/"highWaterMark"/);
  });
});

describe('a file that changes while it is sent', () => {
  const BIG = 24 * 1024 * 1024;

  /** Starts a download, pauses after the first bytes, runs `change`, then reads the rest. */
  function download(target: string, change: () => Promise<void>) {
    return new Promise<{ status: number; length: number; received: Buffer; complete: boolean }>((resolve, reject) => {
      const { hostname, port } = new URL(server.url);
      const req = http.get({ host: hostname, port, path: target, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        let changed = false;
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          if (!changed) {
            changed = true;
            res.pause();
            change().then(() => setTimeout(() => res.resume(), 50), reject);
          }
        });
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            length: Number(res.headers['content-length']),
            received: Buffer.concat(chunks),
            complete: res.complete,
          });
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
      });
      req.on('error', reject);
    });
  }

  it('truncated mid-stream: the response is cut (never completes) and FILE_TRUNCATED is emitted', async () => {
    const file = path.join(dir.path, 'shrinking.bin');
    await writeFile(file, randomBytes(BIG));
    errors.take();
    const res = await download('/?file=shrinking.bin', () => truncate(file, 1000));
    expect(res.status).toBe(200);
    expect(res.length).toBe(BIG);
    expect(res.complete).toBe(false);
    expect(res.received.length).toBeLessThan(BIG);
    await emittedCode('FILE_TRUNCATED'); // never emitted: the test times out
  });

  it('deleted mid-stream: the open file is still sent whole (POSIX keeps it until closed)', async () => {
    const file = path.join(dir.path, 'vanishing.bin');
    const bytes = randomBytes(BIG);
    await writeFile(file, bytes);
    const res = await download('/?file=vanishing.bin', () => unlink(file));
    expect(res.complete).toBe(true);
    expect(createHash('sha256').update(res.received).digest('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
  });
});
