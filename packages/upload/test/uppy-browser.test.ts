import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Listening, listen, tempDir } from '@koa-kit/testing';
import { resumableUpload } from '@koa-kit/upload';
import { build } from 'esbuild';
import Koa from 'koa';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Uppy with @uppy/tus in headless Chromium, on a page of one origin, uploading to resumableUpload()
// on another, with the checksum extension: tus-js-client computes no checksum, so the page gives
// Uppy an httpStack that hashes each PATCH body (SHA-256, Web Crypto) into Upload-Checksum. This
// needs the CORS preflight to allow Upload-Checksum. Runs wherever Chromium is installed (CI installs it).

const CHROMIUM = '/usr/bin/chromium';

/** The page's script: Uppy + @uppy/tus, bundled for the browser. */
const PAGE_SCRIPT = `
import Uppy from '@uppy/core';
import Tus from '@uppy/tus';
import { DefaultHttpStack } from 'tus-js-client';

const base64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));

/** tus-js-client's own HTTP stack, with an Upload-Checksum on every PATCH. */
class ChecksumHttpStack {
  constructor() { this.inner = new DefaultHttpStack(); }
  getName() { return 'checksum'; }
  createRequest(method, url) {
    const request = this.inner.createRequest(method, url);
    const send = request.send.bind(request);
    request.send = async (body) => {
      if (method === 'PATCH' && body) {
        const bytes = body instanceof Blob ? await body.arrayBuffer() : body;
        const digest = await crypto.subtle.digest('SHA-256', bytes);
        request.setHeader('Upload-Checksum', 'sha256 ' + base64(digest));
      }
      return send(body);
    };
    return request;
  }
}

window.uploadWithUppy = async (endpoint, bytesBase64, chunkSize) => {
  const bytes = Uint8Array.from(atob(bytesBase64), (c) => c.charCodeAt(0));
  const uppy = new Uppy({ autoProceed: false });
  uppy.use(Tus, { endpoint, chunkSize, retryDelays: [0, 200], httpStack: new ChecksumHttpStack() });
  uppy.addFile({ name: 'photo.bin', type: 'application/octet-stream', data: new Blob([bytes]) });
  const result = await uppy.upload();
  return {
    successful: result.successful.map((f) => f.uploadURL),
    failed: result.failed.map((f) => String(f.error)),
  };
};

/** A PATCH with a wrong Upload-Checksum, cross-origin with fetch(): the status must be readable. */
window.patchWithBadChecksum = async (url) => {
  const res = await fetch(url, {
    method: 'PATCH',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Checksum': 'sha256 ' + btoa('x'.repeat(32)),
    },
    body: new Uint8Array([1, 2, 3]),
  });
  return res.status;
};
`;

describe.skipIf(!existsSync(CHROMIUM))('Uppy (@uppy/tus) in Chromium, cross-origin, with checksum', () => {
  let browser: Browser;
  let pageServer: Listening;
  let uploadServer: Listening;
  let dir: { path: string; remove(): Promise<void> };
  const finished: { id: string; path: string; size: number; metadata: Record<string, string | null> }[] = [];
  const patches: { checksum: string; origin: string }[] = [];

  beforeAll(async () => {
    dir = await tempDir('kk-uppy-');
    const bundle = await build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: process.cwd(), loader: 'js' },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;

    const pageApp = new Koa();
    pageApp.use((ctx) => {
      if (ctx.path === '/uppy.js') {
        ctx.type = 'text/javascript';
        ctx.body = script;
      } else {
        ctx.type = 'html';
        ctx.body = '<!doctype html><title>uppy</title><script src="/uppy.js"></script>';
      }
    });
    pageServer = await listen(pageApp);

    const uploadApp = new Koa();
    uploadApp.use(async (ctx, next) => {
      if (ctx.method === 'PATCH') patches.push({ checksum: ctx.get('upload-checksum'), origin: ctx.get('origin') });
      await next();
    });
    uploadApp.use(
      resumableUpload({
        path: '/files',
        directory: dir.path,
        allowedOrigins: [pageServer.url],
        onUploadFinish: (_ctx, upload) => {
          finished.push(upload);
        },
      }),
    );
    uploadServer = await listen(uploadApp);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  });

  afterAll(async () => {
    await browser?.close();
    await pageServer?.close();
    await uploadServer?.close();
    await dir?.remove();
  });

  it('uploads a file in checksummed chunks to another origin; the stored file is byte-identical', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(pageServer.url);
    const data = randomBytes(1024 * 1024 + 123);
    const chunkSize = 256 * 1024;
    const result = await page.evaluate(
      ([endpoint, bytes, size]) =>
        (
          window as unknown as {
            uploadWithUppy(e: string, b: string, s: number): Promise<{ successful: string[]; failed: string[] }>;
          }
        ).uploadWithUppy(endpoint, bytes, size),
      [`${uploadServer.url}/files`, data.toString('base64'), chunkSize] as const,
    );
    expect(pageErrors).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.successful).toHaveLength(1);
    expect(result.successful[0]).toMatch(new RegExp(`^${uploadServer.url}/files/[0-9a-f]{32}$`));

    // Every chunk was a cross-origin PATCH carrying its checksum.
    expect(patches).toHaveLength(Math.ceil(data.length / chunkSize));
    for (const p of patches) {
      expect(p.origin).toBe(pageServer.url);
      expect(p.checksum).toMatch(/^sha256 [A-Za-z0-9+/]+=*$/);
    }
    expect(finished).toHaveLength(1);
    expect(finished[0]!.metadata.filename).toBe('photo.bin');
    const stored = await readFile(finished[0]!.path);
    expect(stored.length).toBe(data.length);
    expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));

    // A chunk that does not match its checksum is refused, and the page can read why (460).
    const created = await fetch(`${uploadServer.url}/files`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '3' },
    });
    const target = new URL(created.headers.get('location')!, uploadServer.url).href;
    const status = await page.evaluate(
      (url) => (window as unknown as { patchWithBadChecksum(u: string): Promise<number> }).patchWithBadChecksum(url),
      target,
    );
    expect(status).toBe(460);
    await page.close();
  });
});
