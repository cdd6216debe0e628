import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serveStatic } from '@koa-kit/static';
import { collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchRaw, rawRequest } from './helpers.js';

let dir: { path: string; remove(): Promise<void> };
let root: string;

beforeAll(async () => {
  dir = await tempDir('kk-static-');
  root = path.join(dir.path, 'public');
  await mkdir(path.join(root, 'docs'), { recursive: true });
  await mkdir(path.join(root, '.git'), { recursive: true });
  await mkdir(path.join(root, 'empty-dir'), { recursive: true });
  await writeFile(path.join(root, 'hello.txt'), 'hello world\n');
  await writeFile(path.join(root, 'index.html'), '<h1>home</h1>');
  await writeFile(path.join(root, 'docs', 'index.html'), '<h1>docs</h1>');
  await writeFile(path.join(root, 'docs', 'guide.html'), '<h1>guide</h1>');
  await writeFile(path.join(root, 'app.js'), 'console.log("plain")');
  await writeFile(path.join(root, 'app.js.br'), 'BROTLI-BYTES');
  await writeFile(path.join(root, 'app.js.gz'), 'GZIP-BYTES');
  await writeFile(path.join(root, '.env'), 'SECRET=1');
  await writeFile(path.join(root, '.git', 'config'), '[core]');
  await writeFile(path.join(root, 'data.unknownext'), 'x');
  await writeFile(path.join(root, 'empty.txt'), '');
  await writeFile(path.join(root, 'big.bin'), Buffer.alloc(300 * 1024, 7));
  await writeFile(path.join(root, '报告.txt'), 'unicode name');
  await writeFile(path.join(root, 'a b.txt'), 'space name');
  await symlink('/etc/passwd', path.join(root, 'passwd-link')).catch(() => {});
});
afterAll(() => dir.remove());

function appWith(options?: Parameters<typeof serveStatic>[1], downstream = true) {
  const app = new Koa();
  const errors = collectAppErrors(app);
  const seen = { next: 0 };
  app.use(serveStatic(root, options));
  if (downstream) {
    app.use(async (ctx) => {
      seen.next++;
      if (ctx.path === '/api') ctx.body = { api: true };
    });
  }
  return { app, errors, seen };
}

let errorsToCheck: ReturnType<typeof collectAppErrors> | undefined;
afterEach(() => {
  errorsToCheck?.assertNone();
  errorsToCheck = undefined;
});

describe('serving', () => {
  it('serves a file with type, length, ETag, Last-Modified and Cache-Control', async () => {
    const { app, errors } = appWith();
    errorsToCheck = errors;
    const res = await request(app.callback()).get('/hello.txt').expect(200);
    expect(res.text).toBe('hello world\n');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-length']).toBe('12');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(new Date(res.headers['last-modified']!).getTime()).toBeGreaterThan(0);
    expect(res.headers['cache-control']).toBe('public, max-age=0');
    expect(res.headers.vary).toBe('Accept-Encoding');
  });

  it('serves a streamed (uncached) file with the right bytes and length', async () => {
    const { app, errors } = appWith({ cacheMaxFileSize: 0 });
    errorsToCheck = errors;
    const res = await request(app.callback())
      .get('/big.bin')
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-length']).toBe(String(300 * 1024));
    expect(Buffer.compare(res.body as Buffer, Buffer.alloc(300 * 1024, 7))).toBe(0);
  });

  it('serves names that need percent-encoding (decoded exactly once)', async () => {
    const { app, errors } = appWith();
    errorsToCheck = errors;
    await request(app.callback()).get('/%E6%8A%A5%E5%91%8A.txt').expect(200, 'unicode name');
    await request(app.callback()).get('/a%20b.txt').expect(200, 'space name');
    // %2520 decodes once to "%20", a name that does not exist: never decoded a second time
    await request(app.callback()).get('/a%2520b.txt').expect(404);
  });

  it('answers HEAD with the same headers and no body', async () => {
    const { app, errors } = appWith({ cacheMaxFileSize: 0 });
    errorsToCheck = errors;
    const srv = await listen(app);
    try {
      const res = await rawRequest(srv.url, '/big.bin', { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers['content-length']).toBe(String(300 * 1024));
      expect(res.headers.etag).toBeTruthy();
      expect(res.body.length).toBe(0);
    } finally {
      await srv.close();
    }
  });

  it('serves an empty file as 200 with length 0', async () => {
    const { app, errors } = appWith({ cacheMaxFileSize: 0 });
    errorsToCheck = errors;
    const res = await request(app.callback()).get('/empty.txt').expect(200);
    expect(res.headers['content-length']).toBe('0');
  });

  it('uses application/octet-stream for unknown extensions', async () => {
    const { app } = appWith();
    const res = await request(app.callback()).get('/data.unknownext').expect(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
  });

  it('lets other methods, missing files and folders without index fall through to next()', async () => {
    const { app, seen, errors } = appWith();
    errorsToCheck = errors;
    await request(app.callback()).post('/hello.txt').expect(404);
    await request(app.callback()).put('/hello.txt').expect(404);
    await request(app.callback()).delete('/hello.txt').expect(404);
    await request(app.callback()).get('/missing.txt').expect(404);
    await request(app.callback()).get('/empty-dir/').expect(404);
    await request(app.callback()).get('/api').expect(200, { api: true });
    expect(seen.next).toBe(6);
  });

  it('does not call next() when it served the file', async () => {
    const { app, seen } = appWith();
    await request(app.callback()).get('/hello.txt').expect(200);
    expect(seen.next).toBe(0);
  });

  it('refuses a file path with a trailing slash', async () => {
    const { app } = appWith();
    await request(app.callback()).get('/hello.txt/').expect(404);
  });
});

describe('index and extensions', () => {
  it('serves index.html for / and for folders; /docs redirects to /docs/ (301, query kept)', async () => {
    const { app } = appWith();
    await request(app.callback()).get('/').expect(200, '<h1>home</h1>');
    await request(app.callback()).get('/docs/').expect(200, '<h1>docs</h1>');
    const moved = await fetchRaw(app, '/docs?v=2');
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe('/docs/?v=2');
    expect(moved.body.length).toBe(0);
    // a folder without an index is not redirected: it goes to next() as before
    await request(app.callback()).get('/empty-dir').expect(404);
    const prefixed = await fetchRaw(appWith({ prefix: '/assets' }).app, '/assets');
    expect(prefixed.headers.location).toBe('/assets/');
  });

  it('redirect: false serves the folder index without the trailing slash', async () => {
    await request(appWith({ redirect: false }).app.callback())
      .get('/docs')
      .expect(200, '<h1>docs</h1>');
  });

  it('index: false serves no folder; a list is tried in order', async () => {
    await request(appWith({ index: false }).app.callback())
      .get('/docs/')
      .expect(404);
    await request(appWith({ index: ['nope.html', 'guide.html'] }).app.callback())
      .get('/docs/')
      .expect(200, '<h1>guide</h1>');
  });

  it('tries extensions only when the path has none and no exact file exists', async () => {
    const { app } = appWith({ extensions: ['html', '.txt'] });
    await request(app.callback()).get('/docs/guide').expect(200, '<h1>guide</h1>');
    await request(app.callback()).get('/hello').expect(200, 'hello world\n');
    await request(app.callback()).get('/hello.md').expect(404);
    await request(appWith().app.callback()).get('/docs/guide').expect(404);
  });
});

describe('hidden files', () => {
  it('treats dotfiles and dot-folders as missing by default, in every spelling', async () => {
    const { app, seen } = appWith();
    for (const p of [
      '/.env',
      '/.git/config',
      '/%2eenv',
      '/%2Egit/config',
      '/docs/../.env',
      '/.git%2fconfig',
      '/.git%5cconfig',
    ]) {
      const res = await request(app.callback()).get(p);
      expect([400, 403, 404], p).toContain(res.status);
      expect(res.text).not.toContain('SECRET');
      expect(res.text).not.toContain('[core]');
    }
    expect(seen.next).toBeGreaterThan(0);
  });

  it('serves them with hidden: true', async () => {
    const { app } = appWith({ hidden: true });
    expect((await fetchRaw(app, '/.env')).body.toString()).toBe('SECRET=1');
    expect((await fetchRaw(app, '/.git/config')).body.toString()).toBe('[core]');
  });
});

describe('caching headers and conditional GET', () => {
  it('maxAge (ms) and immutable', async () => {
    const res = await request(appWith({ maxAge: 3_600_500, immutable: true }).app.callback()).get('/hello.txt');
    expect(res.headers['cache-control']).toBe('public, max-age=3600, immutable');
  });

  it('304 on If-None-Match (strong, weak, list, *), 200 on a different tag', async () => {
    const { app } = appWith();
    const first = await request(app.callback()).get('/hello.txt').expect(200);
    const etag = first.headers.etag!;
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const res = await request(app.callback()).get('/hello.txt').set('If-None-Match', inm).expect(304);
      expect(res.text).toBe('');
      expect(res.headers.etag).toBe(etag);
    }
    await request(app.callback()).get('/hello.txt').set('If-None-Match', '"other"').expect(200);
  });

  it('412 PRECONDITION_FAILED when If-Match names no current ETag (strong comparison); 200 when it does', async () => {
    const { app, errors } = appWith();
    const etag = (await request(app.callback()).get('/hello.txt').expect(200)).headers.etag!;
    for (const im of [etag, `"nope", ${etag}`, '*']) {
      await request(app.callback()).get('/hello.txt').set('If-Match', im).expect(200, 'hello world\n');
    }
    for (const im of ['"nope"', `W/${etag}`, 'garbage']) {
      const res = await request(app.callback()).get('/hello.txt').set('If-Match', im).expect(412);
      expect(res.text).not.toContain('hello world');
    }
    await request(app.callback()).head('/hello.txt').set('If-Match', '"nope"').expect(412);
    expect(errors.take().map((e) => (e as { code?: string }).code)).toEqual(Array(4).fill('PRECONDITION_FAILED'));
    // A missing file has no precondition to fail: it falls through (404).
    await request(app.callback()).get('/missing.txt').set('If-Match', '*').expect(404);
  });

  it('412 when If-Unmodified-Since is older than the file; If-Match wins over it; a bad date is ignored', async () => {
    const { app, errors } = appWith();
    const first = await request(app.callback()).get('/hello.txt').expect(200);
    const lm = first.headers['last-modified']!;
    const older = new Date(Date.parse(lm) - 10_000).toUTCString();
    await request(app.callback()).get('/hello.txt').set('If-Unmodified-Since', lm).expect(200);
    await request(app.callback()).get('/hello.txt').set('If-Unmodified-Since', 'garbage').expect(200);
    await request(app.callback()).get('/hello.txt').set('If-Unmodified-Since', older).expect(412);
    await request(app.callback())
      .get('/hello.txt')
      .set('If-Unmodified-Since', older)
      .set('If-Match', first.headers.etag!)
      .expect(200);
    // 412 comes before 304: a failed If-Match is not answered "not modified"
    await request(app.callback())
      .get('/hello.txt')
      .set('If-Match', '"nope"')
      .set('If-None-Match', first.headers.etag!)
      .expect(412);
    expect(errors.take()).toHaveLength(2);
  });

  it('304 on If-Modified-Since at or after mtime; If-None-Match wins over it', async () => {
    const { app } = appWith();
    const first = await request(app.callback()).get('/hello.txt').expect(200);
    const lm = first.headers['last-modified']!;
    await request(app.callback()).get('/hello.txt').set('If-Modified-Since', lm).expect(304);
    await request(app.callback())
      .get('/hello.txt')
      .set('If-Modified-Since', new Date(Date.parse(lm) - 10_000).toUTCString())
      .expect(200);
    await request(app.callback()).get('/hello.txt').set('If-Modified-Since', 'garbage').expect(200);
    await request(app.callback())
      .get('/hello.txt')
      .set('If-Modified-Since', lm)
      .set('If-None-Match', '"different"')
      .expect(200);
  });

  it('ETag and body follow an edit of a cached small file at once (same size, new mtime)', async () => {
    const file = path.join(root, 'edit.txt');
    await writeFile(file, 'version-1');
    await utimes(file, new Date(1_700_000_000_000), new Date(1_700_000_000_000));
    const { app } = appWith();
    const a = await request(app.callback()).get('/edit.txt').expect(200, 'version-1');
    await writeFile(file, 'version-2');
    await utimes(file, new Date(1_700_000_100_000), new Date(1_700_000_100_000));
    const b = await request(app.callback()).get('/edit.txt').expect(200, 'version-2');
    expect(b.headers.etag).not.toBe(a.headers.etag);
    await writeFile(file, 'v3');
    await request(app.callback()).get('/edit.txt').expect(200, 'v3');
  });
});

describe('precompressed siblings', () => {
  it('prefers .br, then .gz, by Accept-Encoding, with the original type and Vary', async () => {
    const { app } = appWith();
    const br = await fetchRaw(app, '/app.js', { headers: { 'Accept-Encoding': 'gzip, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.toString()).toBe('BROTLI-BYTES');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers.vary).toBe('Accept-Encoding');
    const gz = await fetchRaw(app, '/app.js', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.body.toString()).toBe('GZIP-BYTES');
    const q = await fetchRaw(app, '/app.js', { headers: { 'Accept-Encoding': 'br;q=0.1, gzip;q=0.9' } });
    expect(q.headers['content-encoding']).toBe('gzip');
    const star = await fetchRaw(app, '/app.js', { headers: { 'Accept-Encoding': '*' } });
    expect(star.headers['content-encoding']).toBe('br');
    const none = await fetchRaw(app, '/app.js', { headers: { 'Accept-Encoding': 'br;q=0, identity' } });
    expect(none.headers['content-encoding']).toBeUndefined();
    expect(none.body.toString()).toBe('console.log("plain")');
    expect(br.headers.etag).not.toBe(none.headers.etag);
  });

  it('a sibling asked for by its own name is a plain file of its own type', async () => {
    const { app } = appWith();
    await fetchRaw(app, '/app.js', { headers: { 'Accept-Encoding': 'br' } });
    const direct = await fetchRaw(app, '/app.js.br');
    expect(direct.status).toBe(200);
    expect(direct.headers['content-encoding']).toBeUndefined();
    expect(direct.headers['content-type']).not.toContain('javascript');
    expect(direct.body.toString()).toBe('BROTLI-BYTES');
  });

  it('precompressed: false ignores the siblings and sets no Vary', async () => {
    const res = await request(appWith({ precompressed: false }).app.callback())
      .get('/app.js')
      .set('Accept-Encoding', 'br')
      .expect(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBeUndefined();
  });
});

describe('prefix, filter, setHeaders, state', () => {
  it('mounts under a prefix and leaves other paths alone', async () => {
    const { app } = appWith({ prefix: '/assets' });
    await request(app.callback()).get('/assets/hello.txt').expect(200, 'hello world\n');
    await request(app.callback()).get('/assets/docs/').expect(200, '<h1>docs</h1>');
    await request(app.callback()).get('/%61ssets/hello.txt').expect(400); // not the canonical spelling
    await request(app.callback()).get('/hello.txt').expect(404);
    await request(app.callback()).get('/assetsx/hello.txt').expect(404);
    await request(app.callback()).get('/api').expect(200);
  });

  it('filter sees the canonical relative path and can refuse', async () => {
    const seenPaths: string[] = [];
    const { app } = appWith({
      filter: (p) => {
        seenPaths.push(p);
        return !p.endsWith('.js');
      },
    });
    await request(app.callback()).get('/app.js').expect(404);
    await request(app.callback()).get('/docs/').expect(200);
    await request(app.callback()).get('/hello.txt').expect(200);
    expect(seenPaths).toEqual(['/app.js', '/docs/index.html', '/hello.txt']);
  });

  it('setHeaders runs with the file path and stats and can override headers', async () => {
    const calls: Array<[string, number]> = [];
    const app = new Koa();
    app.use(
      serveStatic(root, {
        setHeaders: (ctx, file, stats) => {
          calls.push([file, stats.size]);
          ctx.set('Cache-Control', 'no-store');
          ctx.set('X-From', 'setHeaders');
        },
      }),
    );
    app.use((ctx) => {
      ctx.body = ctx.state.static ?? 'none';
    });
    const res = await request(app.callback()).get('/hello.txt').expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-from']).toBe('setHeaders');
    expect(calls).toEqual([[path.join(root, 'hello.txt'), 12]]);
  });

  it('records what it served on ctx.state.static', async () => {
    const app = new Koa();
    let state: unknown;
    app.use(async (ctx, next) => {
      await next();
      state = ctx.state.static;
    });
    app.use(serveStatic(root));
    expect((await fetchRaw(app, '/app.js', { headers: { 'Accept-Encoding': 'gzip' } })).status).toBe(200);
    expect(state).toEqual({ path: path.join(root, 'app.js.gz'), relativePath: '/app.js', encoding: 'gzip' });
  });
});

describe('options are checked when the factory is called', () => {
  it.each([
    [{ prefix: 'assets' }, /"prefix"/],
    [{ prefix: '/a/../b' }, /"prefix"/],
    [{ index: 'a/b.html' }, /"index"/],
    [{ index: 3 }, /"index"/],
    [{ extensions: 'html' }, /"extensions"/],
    [{ extensions: ['ht ml'] }, /"extensions"/],
    [{ hidden: 'yes' }, /"hidden"/],
    [{ maxAge: -1 }, /"maxAge"/],
    [{ maxAge: '1 fortnight' }, /"maxAge"/],
    [{ etag: 'weak' }, /"etag"/],
    [{ brotli: 1 }, /"brotli"/],
    [{ redirectToCanonical: 'yes' }, /"redirectToCanonical"/],
    [{ redirect: 0 }, /"redirect"/],
    [{ immutable: 1 }, /"immutable"/],
    [{ precompressed: 'br' }, /"precompressed"/],
    [{ followSymlinks: 'no' }, /"followSymlinks"/],
    [{ filter: true }, /"filter"/],
    [{ setHeaders: {} }, /"setHeaders"/],
    [{ cacheMaxFileSize: -5 }, /"cacheMaxFileSize"/],
    [{ cacheMaxFileSize: 2048, cacheMaxSize: 1024 }, /"cacheMaxFileSize"/],
    [{ highWaterMark: 10 }, /"highWaterMark"/],
  ])('%j', (options, message) => {
    expect(() => serveStatic(root, options as never)).toThrow(TypeError);
    expect(() => serveStatic(root, options as never)).toThrow(message);
  });

  it('root must be an existing folder', () => {
    expect(() => serveStatic('' as never)).toThrow(/"root"/);
    expect(() => serveStatic(path.join(root, 'nope'))).toThrow(/"root"/);
    expect(() => serveStatic(path.join(root, 'hello.txt'))).toThrow(/"root"/);
  });

  it('never mutates the options object and returns a named middleware', () => {
    const options = Object.freeze({ index: ['index.html'], extensions: ['html'], maxAge: 1000 });
    const mw = serveStatic(root, options);
    expect(mw.name).toBe('serveStatic');
    expect(options).toEqual({ index: ['index.html'], extensions: ['html'], maxAge: 1000 });
  });
});

export type { Listening };
