import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { type AppErrors, collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import { type FinishedUpload, type ResumableUploadOptions, resumableUpload } from '@koa-kit/upload';
import Koa from 'koa';
import request from 'supertest';
import * as tus from 'tus-js-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, sha256File, waitEmpty } from './helpers.js';

let dir: { path: string; remove(): Promise<void> };
let errors: AppErrors;
let finished: (FinishedUpload & { sha256: string })[];

beforeEach(async () => {
  dir = await tempDir('kk-tus-');
  finished = [];
});
afterEach(async () => {
  errors?.assertNone();
  await dir.remove();
});

const T = { 'Tus-Resumable': '1.0.0' };

function makeApp(options: Partial<ResumableUploadOptions> = {}, setup?: (app: Koa) => void) {
  const app = new Koa();
  errors = collectAppErrors(app);
  setup?.(app);
  app.use(
    resumableUpload({
      path: '/files',
      directory: dir.path,
      onUploadFinish: async (_ctx, upload) => {
        finished.push({ ...upload, sha256: await sha256File(upload.path) });
      },
      ...options,
    }),
  );
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = 'downstream';
  });
  return app;
}

/** Codes of the errors the app emitted, minus socket noise Koa reports for dropped connections. */
function takeCodes(): string[] {
  return errors
    .take()
    .map((e) => (e as { code?: string }).code ?? String(e))
    .filter((c) => !/^(ECONNRESET|EPIPE|HPE_|ERR_STREAM_PREMATURE_CLOSE)/.test(c));
}

async function create(app: Koa, length: number, headers: Record<string, string> = {}) {
  const res = await request(app.callback()).post('/files').set(T).set('Upload-Length', String(length)).set(headers);
  expect(res.status).toBe(201);
  return new URL(res.headers.location!).pathname;
}

function patch(app: Koa, url: string, offset: number, body: Buffer, headers: Record<string, string> = {}) {
  return request(app.callback())
    .patch(url)
    .set(T)
    .set('Upload-Offset', String(offset))
    .set('Content-Type', 'application/offset+octet-stream')
    .set(headers)
    .send(body);
}

describe('resumableUpload(): options', () => {
  it('validates options when called', () => {
    expect(() => resumableUpload({ directory: dir.path } as never)).toThrow(/"path"/);
    expect(() => resumableUpload({ path: 'files', directory: dir.path })).toThrow(/"path"/);
    expect(() => resumableUpload({ path: '/files/', directory: dir.path })).toThrow(/"path"/);
    expect(() => resumableUpload({ path: '/files' } as never)).toThrow(/"directory"/);
    expect(() => resumableUpload({ path: '/files', directory: dir.path, maxSize: -1 })).toThrow(/maxSize/);
    expect(() => resumableUpload({ path: '/files', directory: dir.path, onUploadFinish: 1 as never })).toThrow(
      /onUploadFinish/,
    );
    expect(() => resumableUpload({ path: '/files', directory: dir.path, locker: {} as never })).toThrow(/locker/);
    const options = { path: '/files', directory: dir.path, allowedOrigins: ['https://a.example'] };
    const copy = structuredClone(options);
    expect(resumableUpload(options).name).toBe('resumableUpload');
    expect(options).toEqual(copy);
  });
});

describe('resumableUpload(): protocol', () => {
  it('OPTIONS lists version, extensions, max size and checksum algorithms', async () => {
    const app = makeApp({ maxSize: 5000 });
    const res = await request(app.callback()).options('/files');
    expect(res.status).toBe(204);
    expect(res.headers['tus-version']).toBe('1.0.0');
    expect(res.headers['tus-extension']!.split(',')).toEqual(
      expect.arrayContaining([
        'creation',
        'creation-with-upload',
        'creation-defer-length',
        'termination',
        'expiration',
        'checksum',
        'concatenation',
      ]),
    );
    expect(res.headers['tus-max-size']).toBe('5000');
    expect(res.headers['tus-checksum-algorithm']).toContain('sha1');
  });

  it('creates, reports the offset, resumes, finishes, and hands the file over once', async () => {
    const app = makeApp();
    const data = randomBytes(3000);
    const meta = `filename ${Buffer.from('报告.pdf').toString('base64')}`;
    const url = await create(app, 3000, { 'Upload-Metadata': meta });
    const head0 = await request(app.callback()).head(url).set(T);
    expect(head0.status).toBe(200);
    expect(head0.headers['upload-offset']).toBe('0');
    expect(head0.headers['upload-length']).toBe('3000');
    expect(head0.headers['cache-control']).toBe('no-store');
    expect(head0.headers['tus-resumable']).toBe('1.0.0');
    const p1 = await patch(app, url, 0, data.subarray(0, 1000));
    expect(p1.status).toBe(204);
    expect(p1.headers['upload-offset']).toBe('1000');
    expect(p1.headers['upload-expires']).toBeDefined();
    const conflict = await patch(app, url, 500, data.subarray(500, 1000));
    expect(conflict.status).toBe(409);
    expect(conflict.headers['tus-resumable']).toBe('1.0.0');
    expect(takeCodes()).toEqual(['UPLOAD_OFFSET_CONFLICT']);
    const p2 = await patch(app, url, 1000, data.subarray(1000));
    expect(p2.status).toBe(204);
    expect(p2.headers['upload-offset']).toBe('3000');
    // A repeated empty PATCH at the end is no new file.
    const again = await patch(app, url, 3000, Buffer.alloc(0));
    expect(again.status).toBe(204);
    expect(finished).toHaveLength(1);
    expect(finished[0]!.size).toBe(3000);
    expect(finished[0]!.metadata).toEqual({ filename: '报告.pdf' });
    expect(finished[0]!.sha256).toBe(sha256(data));
  });

  it('creation-with-upload and creation-defer-length', async () => {
    const app = makeApp();
    const data = randomBytes(2048);
    const created = await request(app.callback())
      .post('/files')
      .set(T)
      .set('Upload-Length', '2048')
      .set('Content-Type', 'application/offset+octet-stream')
      .send(data);
    expect(created.status).toBe(201);
    expect(created.headers['upload-offset']).toBe('2048');
    expect(finished.map((f) => f.sha256)).toEqual([sha256(data)]);

    const deferred = await request(app.callback()).post('/files').set(T).set('Upload-Defer-Length', '1');
    expect(deferred.status).toBe(201);
    const url = new URL(deferred.headers.location!).pathname;
    const head = await request(app.callback()).head(url).set(T);
    expect(head.headers['upload-defer-length']).toBe('1');
    await patch(app, url, 0, data.subarray(0, 1000)).expect(204);
    await patch(app, url, 1000, data.subarray(1000), { 'Upload-Length': '2048' }).expect(204);
    expect(finished.map((f) => f.sha256)).toEqual([sha256(data), sha256(data)]);
  });

  it('termination removes the upload', async () => {
    const app = makeApp();
    const url = await create(app, 100);
    const del = await request(app.callback()).delete(url).set(T);
    expect(del.status).toBe(204);
    expect(del.headers['tus-resumable']).toBe('1.0.0');
    const head = await request(app.callback()).head(url).set(T);
    expect(head.status).toBe(404);
    expect(takeCodes()).toEqual(['UPLOAD_NOT_FOUND']);
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('expiration: an expired upload is 410 and the sweep removes every expired upload, finished or not', async () => {
    const app = makeApp({ expiresIn: 150, cleanupInterval: 100 });
    const done = randomBytes(10);
    const doneUrl = await create(app, 10);
    await patch(app, doneUrl, 0, done).expect(204);
    const url = await create(app, 100);
    await patch(app, url, 0, Buffer.alloc(10)).expect(204);
    await new Promise((r) => setTimeout(r, 250));
    const gone = await patch(app, url, 10, Buffer.alloc(10));
    expect(gone.status).toBe(410);
    expect(gone.headers['tus-resumable']).toBe('1.0.0');
    expect(takeCodes()).toEqual(['UPLOAD_GONE']);
    // That request also started the sweep; the finished upload was handed to onUploadFinish and goes too.
    expect(finished.map((f) => f.id)).toEqual([doneUrl.split('/').pop()]);
    expect(await waitEmpty(dir.path)).toEqual([]);
  });

  it('maxSize: 413 UPLOAD_TOO_LARGE on creation and on a deferred length', async () => {
    const app = makeApp({ maxSize: 1000 });
    const res = await request(app.callback()).post('/files').set(T).set('Upload-Length', '1001');
    expect(res.status).toBe(413);
    expect(res.headers['tus-resumable']).toBe('1.0.0');
    const deferred = await request(app.callback()).post('/files').set(T).set('Upload-Defer-Length', '1');
    const url = new URL(deferred.headers.location!).pathname;
    const over = await patch(app, url, 0, Buffer.alloc(1001));
    expect(over.status).toBe(413);
    expect(takeCodes()).toEqual(['UPLOAD_TOO_LARGE', 'UPLOAD_LENGTH_EXCEEDED']);
  });

  it('refuses bad protocol input with a code and Tus-Resumable', async () => {
    const app = makeApp();
    const noVersion = await request(app.callback()).post('/files').set('Upload-Length', '10');
    expect(noVersion.status).toBe(412);
    expect(noVersion.headers['tus-version']).toBe('1.0.0');
    const badLength = await request(app.callback()).post('/files').set(T).set('Upload-Length', '-5');
    expect(badLength.status).toBe(400);
    const badMeta = await request(app.callback())
      .post('/files')
      .set(T)
      .set('Upload-Length', '5')
      .set('Upload-Metadata', 'a b c');
    expect(badMeta.status).toBe(400);
    const traversal = await request(app.callback()).head('/files/..%2F..%2Fetc%2Fpasswd').set(T);
    expect(traversal.status).toBe(404);
    const url = await create(app, 10);
    const noType = await request(app.callback()).patch(url).set(T).set('Upload-Offset', '0').send('x');
    expect(noType.status).toBe(400);
    for (const r of [noVersion, badLength, badMeta, traversal, noType])
      expect(r.headers['tus-resumable']).toBe('1.0.0');
    expect(takeCodes()).toEqual([
      'TUS_VERSION_UNSUPPORTED',
      'TUS_HEADER_INVALID',
      'TUS_HEADER_INVALID',
      'UPLOAD_NOT_FOUND',
      'TUS_HEADER_INVALID',
    ]);
  });

  it('leaves other paths and methods to the next middleware', async () => {
    const app = makeApp();
    expect((await request(app.callback()).get('/files')).text).toBe('downstream');
    expect((await request(app.callback()).get('/files/abc')).text).toBe('downstream');
    expect((await request(app.callback()).post('/filesx').set(T)).text).toBe('downstream');
    expect((await request(app.callback()).patch('/files/a/b').set(T)).text).toBe('downstream');
  });
});

describe('resumableUpload(): Location', () => {
  it('is right under a mount prefix and behind a trusted proxy', async () => {
    const app = makeApp({}, (a) => {
      a.proxy = true;
      // What koa-mount does: strip the prefix from ctx.path for the middleware below.
      a.use(async (ctx, next) => {
        if (!ctx.path.startsWith('/api/')) return next();
        const original = ctx.path;
        ctx.path = ctx.path.slice('/api'.length);
        await next();
        ctx.path = original;
      });
    });
    const res = await request(app.callback())
      .post('/api/files')
      .set(T)
      .set('Upload-Length', '5')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'uploads.example.com');
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/^https:\/\/uploads\.example\.com\/api\/files\/[0-9a-f]{32}$/);
    const prefixed = await request(app.callback())
      .post('/files')
      .set(T)
      .set('Upload-Length', '5')
      .set('X-Forwarded-Prefix', '/up');
    expect(new URL(prefixed.headers.location!).pathname).toMatch(/^\/up\/files\//);
    // A forged prefix that would make a protocol-relative URL (another host) is ignored.
    for (const forged of ['//evil.example', '/\\evil.example']) {
      const hostile = await request(app.callback())
        .post('/files')
        .set(T)
        .set('Upload-Length', '5')
        .set('X-Forwarded-Prefix', forged);
      expect(hostile.status).toBe(201);
      expect(new URL(hostile.headers.location!).hostname).toBe('127.0.0.1');
      expect(new URL(hostile.headers.location!).pathname).toMatch(/^\/files\//);
    }
    // The Location works for the next request through the same prefix.
    const head = await request(app.callback()).head(new URL(res.headers.location!).pathname).set(T);
    expect(head.status).toBe(200);
  });

  it('ignores forwarded headers when the app does not trust a proxy; relativeLocation gives a path', async () => {
    const app = makeApp();
    const res = await request(app.callback())
      .post('/files')
      .set(T)
      .set('Host', 'real.example:8080')
      .set('Upload-Length', '5')
      .set('X-Forwarded-Proto', 'nonsense, https')
      .set('X-Forwarded-Host', 'evil.example');
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/^http:\/\/real\.example:8080\/files\/[0-9a-f]{32}$/);
    const rel = makeApp({ relativeLocation: true });
    const r2 = await request(rel.callback()).post('/files').set(T).set('Upload-Length', '5');
    expect(r2.headers.location).toMatch(/^\/files\/[0-9a-f]{32}$/);
  });
});

describe('resumableUpload(): auth and hooks', () => {
  it('sits behind the app authentication', async () => {
    const app = makeApp({}, (a) => {
      a.use(async (ctx, next) => {
        if (ctx.get('authorization') !== 'Bearer ok') {
          throw Object.assign(new Error('no'), { status: 401, expose: true, code: 'CREDENTIALS_MISSING' });
        }
        return next();
      });
    });
    const res = await request(app.callback()).post('/files').set(T).set('Upload-Length', '5');
    expect(res.status).toBe(401);
    expect(await readdir(dir.path)).toEqual([]);
    const ok = await request(app.callback())
      .post('/files')
      .set(T)
      .set('Authorization', 'Bearer ok')
      .set('Upload-Length', '5');
    expect(ok.status).toBe(201);
    expect(takeCodes()).toEqual(['CREDENTIALS_MISSING']);
  });

  it('an HttpError from onUploadCreate keeps its status and code, with Tus-Resumable; nothing is created', async () => {
    const app = makeApp({
      onUploadCreate: (ctx, upload) => {
        expect(ctx.path).toBe('/files');
        if (upload.metadata.filetype !== 'image/png') {
          throw Object.assign(new Error('Only PNG'), { status: 422, expose: true, code: 'TYPE_REFUSED' });
        }
      },
    });
    const res = await request(app.callback())
      .post('/files')
      .set(T)
      .set('Upload-Length', '5')
      .set('Upload-Metadata', `filetype ${Buffer.from('text/html').toString('base64')}`);
    expect(res.status).toBe(422);
    expect(res.headers['tus-resumable']).toBe('1.0.0');
    expect(res.text).toBe('Only PNG');
    expect(await readdir(dir.path)).toEqual([]);
    expect(takeCodes()).toEqual(['TYPE_REFUSED']);
  });

  it('an error from onUploadFinish reaches the client, and the refused upload is removed', async () => {
    const app = makeApp({
      onUploadFinish: () => {
        throw Object.assign(new Error('Virus found'), { status: 422, expose: true, code: 'INFECTED' });
      },
    });
    const url = await create(app, 4);
    const res = await patch(app, url, 0, Buffer.from('EICA'));
    expect(res.status).toBe(422);
    expect(res.headers['tus-resumable']).toBe('1.0.0');
    expect(takeCodes()).toEqual(['INFECTED']);
    expect(await readdir(dir.path)).toEqual([]);
    const crash = makeApp({
      onUploadFinish: () => {
        throw new Error('database password is hunter2');
      },
    });
    const url2 = await create(crash, 1);
    const r2 = await patch(crash, url2, 0, Buffer.from('x'));
    expect(r2.status).toBe(500);
    expect(r2.text).not.toContain('hunter2');
    expect(r2.headers['tus-resumable']).toBe('1.0.0');
    const [err] = errors.take() as { code: string; expose: boolean }[];
    expect(err).toMatchObject({ code: 'UPLOAD_HOOK_FAILED', expose: false });
  });
});

describe('resumableUpload(): checksum extension', () => {
  it('accepts a matching sha1, discards a mismatching chunk with 460, refuses unknown algorithms', async () => {
    const app = makeApp();
    const data = randomBytes(2000);
    const url = await create(app, 2000);
    const sum = (b: Buffer, alg = 'sha1') => `${alg} ${createHash(alg).update(b).digest('base64')}`;
    const ok = await patch(app, url, 0, data.subarray(0, 1000), { 'Upload-Checksum': sum(data.subarray(0, 1000)) });
    expect(ok.status).toBe(204);
    const bad = await patch(app, url, 1000, data.subarray(1000), { 'Upload-Checksum': sum(Buffer.from('other')) });
    expect(bad.status).toBe(460);
    expect(bad.headers['tus-resumable']).toBe('1.0.0');
    const head = await request(app.callback()).head(url).set(T);
    expect(head.headers['upload-offset']).toBe('1000');
    const unknown = await patch(app, url, 1000, data.subarray(1000), { 'Upload-Checksum': 'crc99 AAAA' });
    expect(unknown.status).toBe(400);
    const malformed = await patch(app, url, 1000, data.subarray(1000), { 'Upload-Checksum': 'sha1' });
    expect(malformed.status).toBe(400);
    expect(takeCodes()).toEqual(['CHECKSUM_ALGORITHM_UNSUPPORTED', 'CHECKSUM_INVALID']);
    const last = await patch(app, url, 1000, data.subarray(1000), {
      'Upload-Checksum': sum(data.subarray(1000), 'sha256'),
    });
    expect(last.status).toBe(204);
    expect(finished.map((f) => f.sha256)).toEqual([sha256(data)]);
  });
});

/** A TCP proxy that cuts every connection once, after `cutAfter` bytes from the client in total. */
async function cuttingProxy(target: Listening, cutAfter: number) {
  let sent = 0;
  let cut = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, '127.0.0.1');
    client.on('data', (chunk) => {
      sent += chunk.length;
      if (!cut && sent > cutAfter) {
        cut = true;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, wasCut: () => cut, close: () => new Promise((r) => server.close(r)) };
}

function tusUpload(data: Buffer, options: tus.UploadOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      ...options,
      onError: reject,
      onSuccess: () => resolve(upload.url!),
    });
    upload.start();
  });
}

describe('resumableUpload(): tus-js-client', () => {
  /** A PATCH with a chunked body: `write` more with the returned request, the response is `done`. */
  function chunkedPatch(server: Listening, url: string, offset: number) {
    const req = http.request(`${server.url}${url}`, {
      method: 'PATCH',
      headers: { ...T, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    });
    const done = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      req.once('error', reject);
      req.once('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.once('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
    });
    return { req, done };
  }

  it('a chunked PATCH longer than the upload is 413 and nothing past Upload-Length is written', async () => {
    const app = makeApp();
    const server = await listen(app);
    try {
      const url = await create(app, 1000);
      const { req, done } = chunkedPatch(server, url, 0);
      req.write(randomBytes(600));
      req.end(randomBytes(600));
      const res = await done;
      expect(res.status).toBe(413);
      expect(res.headers['tus-resumable']).toBe('1.0.0');
      expect(takeCodes()).toEqual(['UPLOAD_TOO_LARGE']);
      const id = url.split('/').pop()!;
      expect((await stat(`${dir.path}/${id}`)).size).toBeLessThanOrEqual(1000);
      const head = await request(app.callback()).head(url).set(T);
      expect(Number(head.headers['upload-offset'])).toBeLessThanOrEqual(1000);
      expect(finished).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('a second PATCH to a busy upload waits for the first to let go, then both offsets are right', async () => {
    const app = makeApp();
    const server = await listen(app);
    try {
      const data = randomBytes(4000);
      const url = await create(app, data.length);
      const id = url.split('/').pop()!;
      const first = chunkedPatch(server, url, 0);
      first.req.write(data.subarray(0, 1500));
      // The first request holds the lock and keeps its connection open without sending more.
      for (let i = 0; i < 200 && (await stat(`${dir.path}/${id}`)).size < 1500; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect((await stat(`${dir.path}/${id}`)).size).toBe(1500);
      const second = patch(app, url, 1500, data.subarray(1500)).then((r) => r);
      const r1 = await first.done;
      expect(r1.status).toBe(204);
      expect(r1.headers['upload-offset']).toBe('1500');
      const r2 = await second;
      expect(r2.status).toBe(204);
      expect(r2.headers['upload-offset']).toBe(String(data.length));
      first.req.destroy();
      expect(finished).toHaveLength(1);
      expect(finished[0]!.sha256).toBe(sha256(data));
      takeCodes();
    } finally {
      await server.close();
    }
  }, 15_000);

  it('uploads 32 MB through a connection cut midway, resumes, and the file matches', async () => {
    const app = makeApp();
    const server = await listen(app);
    const proxy = await cuttingProxy(server, 12 * 1024 * 1024);
    try {
      const data = randomBytes(32 * 1024 * 1024);
      const url = await tusUpload(data, {
        endpoint: `${proxy.url}/files`,
        retryDelays: [50, 100, 200, 400],
        metadata: { filename: 'big.bin' },
      });
      expect(proxy.wasCut()).toBe(true);
      expect(url).toMatch(/\/files\/[0-9a-f]{32}$/);
      expect(finished).toHaveLength(1);
      expect(finished[0]!.size).toBe(data.length);
      expect(finished[0]!.sha256).toBe(sha256(data));
      takeCodes();
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('parallelUploads: partial uploads are concatenated into one final file', async () => {
    const app = makeApp();
    const server = await listen(app);
    try {
      const data = randomBytes(10 * 1024 * 1024 + 17);
      const url = await tusUpload(data, {
        endpoint: `${server.url}/files`,
        parallelUploads: 3,
        retryDelays: [],
        metadata: { filename: 'parallel.bin' },
      });
      expect(finished).toHaveLength(1);
      expect(finished[0]!.size).toBe(data.length);
      expect(finished[0]!.metadata).toEqual({ filename: 'parallel.bin' });
      expect(finished[0]!.sha256).toBe(sha256(data));
      expect(url.endsWith(finished[0]!.id)).toBe(true);
      // The partial uploads are gone; only the final upload and its record remain.
      expect((await readdir(dir.path)).sort()).toEqual([finished[0]!.id, `${finished[0]!.id}.json`].sort());
      const path = new URL(url).pathname;
      const head = await request(app.callback()).head(path).set(T);
      expect(head.headers['upload-offset']).toBe(String(data.length));
      expect(head.headers['upload-concat']).toMatch(/^final;/);
      const p = await patch(app, path, data.length, Buffer.alloc(0));
      expect(p.status).toBe(403);
      expect(takeCodes()).toEqual(['UPLOAD_FINAL_IMMUTABLE']);
      expect((await stat(finished[0]!.path)).size).toBe(data.length);
      expect(sha256(await readFile(finished[0]!.path))).toBe(sha256(data));
    } finally {
      await server.close();
    }
  });

  it('refuses a final upload naming unknown, unfinished or non-partial uploads', async () => {
    const app = makeApp();
    const normal = await create(app, 5);
    const partial = await create(app, 5, { 'Upload-Concat': 'partial' });
    const head = await request(app.callback()).head(partial).set(T);
    expect(head.headers['upload-concat']).toBe('partial');
    for (const list of [normal, partial, '/files/nope', 'http://x/other/abc', '']) {
      const res = await request(app.callback()).post('/files').set(T).set('Upload-Concat', `final;${list}`);
      expect(res.status).toBe(400);
      expect(res.headers['tus-resumable']).toBe('1.0.0');
    }
    expect(takeCodes()).toEqual(Array(5).fill('UPLOAD_CONCAT_INVALID'));
  });
});
