import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { rangeDownload, sendFile } from '@koa-kit/range-download';
import { serveStatic } from '@koa-kit/static';
import { collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real download clients against the composed app, on a file of tens of MB, compared by sha256.
const run = promisify(execFile);
const SIZE = 32 * 1024 * 1024;
let dir: { path: string; remove(): Promise<void> };
let original: string;
let expected: string;
let server: Listening;
const seen: Array<{ path: string; range: string | undefined; status: number }> = [];

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

beforeAll(async () => {
  dir = await tempDir('kk-clients-');
  const root = path.join(dir.path, 'public');
  await mkdir(root);
  original = path.join(root, 'big.bin');
  const handle = await open(original, 'w');
  for (let written = 0; written < SIZE; written += 4 * 1024 * 1024) await handle.write(randomBytes(4 * 1024 * 1024));
  await handle.close();
  expected = await sha256(original);
  const app = new Koa();
  const errors = collectAppErrors(app);
  app.use(async (ctx, next) => {
    await next();
    seen.push({ path: ctx.path, range: ctx.get('Range') || undefined, status: ctx.status });
  });
  app.use(rangeDownload());
  app.use(async (ctx, next) => {
    if (ctx.path === '/download') return sendFile(ctx, original, { filename: 'big.bin' });
    return next();
  });
  app.use(serveStatic(root));
  server = await listen(app);
  void errors; // clients may drop connections on purpose (curl --max-time): those errors are expected
});
afterAll(async () => {
  await server.close();
  await dir.remove();
});

describe.each(['/big.bin', '/download'])('real clients on %s', (target) => {
  it('aria2c -x 8 -s 8 fetches it in segments, byte for byte', async () => {
    const out = path.join(dir.path, `aria-${target.slice(1)}`);
    await mkdir(out);
    seen.length = 0;
    await run(
      'aria2c',
      [
        '-x',
        '8',
        '-s',
        '8',
        '-k',
        '1M',
        '--quiet=true',
        '--allow-overwrite=true',
        '--file-allocation=none',
        '-d',
        out,
        '-o',
        'got.bin',
        `${server.url}${target}`,
      ],
      { timeout: 60_000 },
    );
    expect(await sha256(path.join(out, 'got.bin'))).toBe(expected);
    const partial = seen.filter((s) => s.status === 206);
    expect(partial.length).toBeGreaterThanOrEqual(2);
  });

  it('curl -C - resumes a download cut by --max-time', async () => {
    const out = path.join(dir.path, `curl-${target.slice(1)}.bin`);
    // First attempt: throttled and cut after 1 s (curl exits 28), leaving a partial file.
    const cut = await new Promise<number>((resolve) => {
      const child = spawn('curl', [
        '-sS',
        '--limit-rate',
        '4M',
        '--max-time',
        '1',
        '-o',
        out,
        `${server.url}${target}`,
      ]);
      child.on('exit', (code) => resolve(code ?? -1));
    });
    expect(cut).toBe(28);
    const partialSize = (await stat(out)).size;
    expect(partialSize).toBeGreaterThan(0);
    expect(partialSize).toBeLessThan(SIZE);
    seen.length = 0;
    await run('curl', ['-sS', '-f', '-C', '-', '-o', out, `${server.url}${target}`], { timeout: 60_000 });
    expect(seen).toContainEqual({ path: target, range: `bytes=${partialSize}-`, status: 206 });
    expect(await sha256(out)).toBe(expected);
  });

  it('wget -c continues a partial file', async () => {
    const out = path.join(dir.path, `wget-${target.slice(1)}`);
    await mkdir(out);
    const name = path.basename(target);
    const head = (await readFile(original)).subarray(0, 10 * 1024 * 1024 + 12345);
    await writeFile(path.join(out, name), head);
    seen.length = 0;
    await run('wget', ['-c', '-q', '-P', out, `${server.url}${target}`], { timeout: 60_000 });
    expect(seen).toContainEqual({ path: target, range: `bytes=${head.length}-`, status: 206 });
    expect(await sha256(path.join(out, name))).toBe(expected);
  });
});
