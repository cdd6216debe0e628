import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type ServeStaticOptions, serveStatic } from '@koa-kit/static';
import { tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRaw } from '../helpers.js';

let dir: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  dir = await tempDir('kk-validators-');
  await writeFile(path.join(dir.path, 'app.js'), 'console.log(1)');
  await writeFile(path.join(dir.path, 'app.js.br'), 'BR');
  await writeFile(path.join(dir.path, 'app.js.gz'), 'GZ');
});
afterAll(() => dir.remove());

function app(options?: ServeStaticOptions, upstream?: (ctx: Koa.Context) => void): Koa {
  const a = new Koa();
  if (upstream) {
    a.use(async (ctx, next) => {
      upstream(ctx);
      await next();
    });
  }
  a.use(serveStatic(dir.path, options));
  return a;
}

describe('validators the app controls', () => {
  const contentHash = { setHeaders: (ctx: Koa.Context) => ctx.set('ETag', '"sha256-abc"') };

  it('an ETag set in setHeaders is the one If-None-Match and If-Match compare against', async () => {
    const a = app(contentHash);
    const plain = await fetchRaw(a, '/app.js');
    expect(plain.headers.etag).toBe('"sha256-abc"');
    expect((await fetchRaw(a, '/app.js', { headers: { 'If-None-Match': '"sha256-abc"' } })).status).toBe(304);
    expect((await fetchRaw(a, '/app.js', { headers: { 'If-Match': '"sha256-abc"' } })).status).toBe(200);
    expect((await fetchRaw(a, '/app.js', { headers: { 'If-Match': '"other"' } })).status).toBe(412);
  });

  it('keeps a Content-Type set upstream', async () => {
    const a = app(undefined, (ctx) => ctx.set('Content-Type', 'text/x-custom'));
    expect((await fetchRaw(a, '/app.js')).headers['content-type']).toBe('text/x-custom');
  });

  it('a 304 keeps Content-Language and the other headers set upstream or in setHeaders', async () => {
    const a = app({ setHeaders: (ctx) => ctx.set('Content-Security-Policy', "default-src 'none'") }, (ctx) =>
      ctx.set('Content-Language', 'fr'),
    );
    const first = await fetchRaw(a, '/app.js');
    const res = await fetchRaw(a, '/app.js', { headers: { 'If-None-Match': first.headers.etag! } });
    expect(res.status).toBe(304);
    expect(res.headers['content-language']).toBe('fr');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'");
    expect(res.headers.etag).toBe(first.headers.etag);
    expect(res.headers['cache-control']).toBe('public, max-age=0');
    expect(res.headers.vary).toBe('Accept-Encoding');
  });

  it('etag: false sends no ETag and ignores If-None-Match', async () => {
    const a = app({ etag: false });
    const res = await fetchRaw(a, '/app.js');
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['last-modified']).toBeTruthy();
    expect((await fetchRaw(a, '/app.js', { headers: { 'If-None-Match': '"x"' } })).status).toBe(200);
  });

  it('lastModified: false sends no Last-Modified and ignores If-Modified-Since', async () => {
    const a = app({ lastModified: false });
    const res = await fetchRaw(a, '/app.js');
    expect(res.headers['last-modified']).toBeUndefined();
    expect(res.headers.etag).toBeTruthy();
    const future = new Date(Date.now() + 86_400_000).toUTCString();
    expect((await fetchRaw(a, '/app.js', { headers: { 'If-Modified-Since': future } })).status).toBe(200);
  });

  it('cacheControl: false sends no Cache-Control', async () => {
    expect((await fetchRaw(app({ cacheControl: false }), '/app.js')).headers['cache-control']).toBeUndefined();
  });

  it('brotli: false keeps gzip; gzip: false keeps brotli', async () => {
    const both = { headers: { 'Accept-Encoding': 'br, gzip' } };
    expect((await fetchRaw(app({ brotli: false }), '/app.js', both)).body.toString()).toBe('GZ');
    expect((await fetchRaw(app({ gzip: false }), '/app.js', both)).body.toString()).toBe('BR');
    expect((await fetchRaw(app(), '/app.js', both)).body.toString()).toBe('BR');
  });

  it.each([
    ['1d', 'public, max-age=86400'],
    ['2h', 'public, max-age=7200'],
    ['30 days', 'public, max-age=2592000'],
    ['5y', 'public, max-age=31536000'],
    [400 * 86_400_000, 'public, max-age=31536000'],
  ] as const)('maxAge %j is %s (capped at one year)', async (maxAge, expected) => {
    expect((await fetchRaw(app({ maxAge }), '/app.js')).headers['cache-control']).toBe(expected);
  });
});
