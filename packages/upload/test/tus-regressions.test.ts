import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import net from 'node:net';
import { type AppErrors, collectAppErrors, listen, tempDir } from '@koa-kit/testing';
import { type ResumableUploadOptions, resumableUpload } from '@koa-kit/upload';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rawExchange } from './helpers.js';

let dir: { path: string; remove(): Promise<void> };
let errors: AppErrors;
let finishedIds: string[];

beforeEach(async () => {
  dir = await tempDir('kk-tus-reg-');
  finishedIds = [];
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
      onUploadFinish: (_ctx, upload) => {
        finishedIds.push(upload.id);
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

function codes(): string[] {
  return errors
    .take()
    .map((e) => (e as { code?: string }).code ?? String(e))
    .filter((c) => !/^(ECONNRESET|EPIPE|HPE_|ERR_STREAM_PREMATURE_CLOSE)/.test(c));
}

async function create(app: Koa, length: number, headers: Record<string, string> = {}): Promise<string> {
  const res = await request(app.callback()).post('/files').set(T).set('Upload-Length', String(length)).set(headers);
  expect(res.status).toBe(201);
  return new URL(res.headers.location!, 'http://x').pathname;
}

function patch(app: Koa, url: string, offset: number, body: Buffer) {
  return request(app.callback())
    .patch(url)
    .set(T)
    .set('Upload-Offset', String(offset))
    .set('Content-Type', 'application/offset+octet-stream')
    .send(body);
}

async function finishedPartial(app: Koa, data: Buffer): Promise<string> {
  const url = await create(app, data.length, { 'Upload-Concat': 'partial' });
  expect((await patch(app, url, 0, data)).status).toBe(204);
  return url;
}

describe('resumableUpload() regressions: refused bodies close the connection', () => {
  it('a chunked PATCH over Upload-Length answers 413 with Connection: close and the socket is closed', async () => {
    const app = makeApp();
    const server = await listen(app);
    try {
      const url = await create(app, 1000);
      const head =
        `PATCH ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
        'Content-Type: application/offset+octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
      const chunk = randomBytes(1200);
      // No final chunk: the rest of the body is still "on the wire" when the server refuses it.
      const res = await rawExchange(server, head, Buffer.concat([Buffer.from('4b0\r\n'), chunk, Buffer.from('\r\n')]));
      expect(res.status).toBe(413);
      expect(res.headers.connection).toBe('close');
      expect(res.closed).toBe(true);
      expect(codes()).toEqual(['UPLOAD_TOO_LARGE']);
    } finally {
      await server.close();
    }
  });

  it('a PATCH refused before its body is read (Content-Length over Upload-Length) also closes', async () => {
    const app = makeApp();
    const server = await listen(app);
    try {
      const url = await create(app, 100);
      const head =
        `PATCH ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
        'Content-Type: application/offset+octet-stream\r\nContent-Length: 100000\r\n\r\n';
      const res = await rawExchange(server, head, randomBytes(200));
      expect(res.status).toBe(413);
      expect(res.headers.connection).toBe('close');
      expect(res.closed).toBe(true);
      codes();
    } finally {
      await server.close();
    }
  });
});

describe('resumableUpload() regressions: concatenation', () => {
  it('refuses a final upload listing the same partial twice', async () => {
    const app = makeApp();
    const part = await finishedPartial(app, randomBytes(100));
    const res = await request(app.callback()).post('/files').set(T).set('Upload-Concat', `final;${part} ${part}`);
    expect(res.status).toBe(400);
    expect(codes()).toEqual(['UPLOAD_CONCAT_INVALID']);
    expect(finishedIds).toEqual([]);
  });

  it('two final uploads naming the same partials at once: one wins, the partials are consumed once', async () => {
    const app = makeApp();
    const a = await finishedPartial(app, randomBytes(3000));
    const b = await finishedPartial(app, randomBytes(3000));
    const final = () =>
      request(app.callback())
        .post('/files')
        .set(T)
        .set('Upload-Concat', `final;${a} ${b}`)
        .then((r) => r.status);
    const statuses = await Promise.all([final(), final(), final()]);
    expect(statuses.sort()).toEqual([201, 400, 400]);
    expect(finishedIds).toHaveLength(1);
    expect(codes()).toEqual(['UPLOAD_CONCAT_INVALID', 'UPLOAD_CONCAT_INVALID']);
    expect((await readdir(dir.path)).sort()).toEqual([finishedIds[0], `${finishedIds[0]}.json`].sort());
  });

  it('a PATCH with bytes to a final upload is 403 UPLOAD_FINAL_IMMUTABLE, at any offset', async () => {
    const app = makeApp();
    const a = await finishedPartial(app, randomBytes(10));
    const created = await request(app.callback()).post('/files').set(T).set('Upload-Concat', `final;${a}`);
    expect(created.status).toBe(201);
    const url = new URL(created.headers.location!).pathname;
    for (const offset of [0, 10]) {
      const res = await patch(app, url, offset, randomBytes(10));
      expect(res.status).toBe(403);
      expect(res.headers['tus-resumable']).toBe('1.0.0');
    }
    expect(codes()).toEqual(['UPLOAD_FINAL_IMMUTABLE', 'UPLOAD_FINAL_IMMUTABLE']);
  });
});

describe('resumableUpload() regressions: ids', () => {
  it('a path that is not an id we issued is 404 and never reaches the records', async () => {
    const app = makeApp();
    const url = await create(app, 10);
    for (const method of ['delete', 'head', 'patch'] as const) {
      for (const suffix of ['.json', '.JSON', '.', '-x']) {
        const res = await request(app.callback())[method](`${url}${suffix}`).set(T).set('Upload-Offset', '0');
        expect(res.status).toBe(404);
        expect(res.headers['tus-resumable']).toBe('1.0.0');
      }
    }
    expect(new Set(codes())).toEqual(new Set(['UPLOAD_NOT_FOUND']));
    const head = await request(app.callback()).head(url).set(T);
    expect(head.status).toBe(200);
    expect((await readdir(dir.path)).length).toBe(2);
  });

  it('PATCH on the collection itself is refused with Tus-Resumable', async () => {
    const app = makeApp();
    for (const path of ['/files', '/files/']) {
      const res = await request(app.callback()).patch(path).set(T);
      expect(res.status).toBe(404);
      expect(res.headers['tus-resumable']).toBe('1.0.0');
    }
    expect(codes()).toEqual(['UPLOAD_NOT_FOUND', 'UPLOAD_NOT_FOUND']);
  });
});

describe('resumableUpload() regressions: options', () => {
  it('refuses unknown options', () => {
    expect(() => resumableUpload({ path: '/files', directory: dir.path, datastore: {} } as never)).toThrow(
      /"datastore"/,
    );
    expect(() => resumableUpload({ path: '/files', directory: dir.path, maxsize: 1 } as never)).toThrow(TypeError);
  });

  it('validates CORS and base URL options', () => {
    const base = { path: '/files', directory: dir.path };
    expect(() => resumableUpload({ ...base, allowedCredentials: true })).toThrow(/allowedCredentials/);
    expect(() => resumableUpload({ ...base, allowedHeaders: 'x' as never })).toThrow(/allowedHeaders/);
    expect(() => resumableUpload({ ...base, exposedHeaders: ['bad header'] })).toThrow(/exposedHeaders/);
    for (const baseUrl of ['javascript:alert(1)', 'ftp://x.example', 'https://x.example/?q', 'not a url']) {
      expect(() => resumableUpload({ ...base, baseUrl })).toThrow(/baseUrl/);
    }
  });
});

describe('resumableUpload() regressions: CORS for the checksum extension', () => {
  it('the preflight allows Upload-Checksum, responses expose Upload-Expires and Tus-Checksum-Algorithm', async () => {
    const app = makeApp({ allowedOrigins: ['https://app.example'], allowedCredentials: true });
    const pre = await request(app.callback())
      .options('/files')
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'PATCH')
      .set('Access-Control-Request-Headers', 'upload-checksum, tus-resumable');
    expect(pre.status).toBe(204);
    const allowed = pre.headers['access-control-allow-headers']!.toLowerCase().split(/, */);
    expect(allowed).toEqual(expect.arrayContaining(['upload-checksum', 'tus-resumable', 'upload-offset']));
    expect(pre.headers['access-control-allow-credentials']).toBe('true');
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
    const url = await create(app, 10);
    const res = await patch(app, url, 0, randomBytes(5)).set('Origin', 'https://app.example');
    expect(res.status).toBe(204);
    const exposed = res.headers['access-control-expose-headers']!.toLowerCase().split(/, */);
    expect(exposed).toEqual(
      expect.arrayContaining(['upload-offset', 'upload-expires', 'tus-checksum-algorithm', 'location']),
    );
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary?.toLowerCase()).toContain('origin');
  });

  it('allowedHeaders and exposedHeaders add to the defaults', async () => {
    const app = makeApp({ allowedHeaders: ['X-Csrf-Token'], exposedHeaders: ['X-Upload-Id'] });
    const pre = await request(app.callback()).options('/files').set('Origin', 'https://a.example');
    expect(pre.headers['access-control-allow-headers']).toMatch(/X-Csrf-Token/);
    expect(pre.headers['access-control-allow-headers']).toMatch(/Upload-Checksum/);
    expect(pre.headers['access-control-expose-headers']).toMatch(/X-Upload-Id/);
  });
});

describe('resumableUpload() regressions: Location', () => {
  it('a configured baseUrl is used whatever Host or X-Forwarded-* say', async () => {
    const app = makeApp({ baseUrl: 'https://uploads.example.com' }, (a) => {
      a.proxy = true;
    });
    const res = await request(app.callback())
      .post('/files')
      .set(T)
      .set('Host', 'evil.example')
      .set('X-Forwarded-Host', 'evil2.example')
      .set('X-Forwarded-Proto', 'http')
      .set('Upload-Length', '5');
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/^https:\/\/uploads\.example\.com\/files\/[0-9a-f]{32}$/);
  });

  it('without baseUrl, a forwarded protocol other than http/https or a malformed host never makes the Location', async () => {
    const app = makeApp({}, (a) => {
      a.proxy = true;
    });
    const res = await request(app.callback())
      .post('/files')
      .set(T)
      .set('X-Forwarded-Proto', 'javascript')
      .set('Upload-Length', '5');
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/^\/files\/[0-9a-f]{32}$/);
    const host = await request(app.callback())
      .post('/files')
      .set(T)
      .set('X-Forwarded-Host', 'evil.example/path')
      .set('Upload-Length', '5');
    expect(host.status).toBe(201);
    expect(host.headers.location).toMatch(/^\/files\/[0-9a-f]{32}$/);
  });
});

describe('resumableUpload(): authorize (ownership)', () => {
  /** An app where the user is the `X-User` header and the owner is recorded at creation. */
  function ownedApp() {
    return makeApp(
      {
        onUploadCreate: (ctx, upload) => ({
          metadata: {
            ...Object.fromEntries(Object.entries(upload.metadata).map(([k, v]) => [k, v ?? ''])),
            owner: ctx.get('x-user'),
          },
        }),
        authorize: (ctx, _action, upload) => upload.metadata.owner === ctx.get('x-user'),
      },
      (a) =>
        a.use(async (ctx, next) => {
          if (!ctx.get('x-user')) ctx.throw(401);
          await next();
        }),
    );
  }

  it('another user cannot HEAD, PATCH or DELETE an upload; the owner can', async () => {
    const app = ownedApp();
    // The client's own "owner" metadata is replaced by the server's.
    const url = await create(app, 10, { 'X-User': 'alice', 'Upload-Metadata': `owner ${btoa('mallory')}` });
    const as = (user: string) => ({ 'X-User': user, ...T });
    expect((await request(app.callback()).head(url).set(as('mallory'))).status).toBe(404);
    const stolen = await request(app.callback())
      .patch(url)
      .set(as('mallory'))
      .set('Upload-Offset', '0')
      .set('Content-Type', 'application/offset+octet-stream')
      .send(randomBytes(10));
    expect(stolen.status).toBe(404);
    expect((await request(app.callback()).delete(url).set(as('mallory'))).status).toBe(404);
    expect(codes()).toEqual(['UPLOAD_NOT_FOUND', 'UPLOAD_NOT_FOUND', 'UPLOAD_NOT_FOUND']);
    const head = await request(app.callback()).head(url).set(as('alice'));
    expect(head.status).toBe(200);
    expect(head.headers['upload-offset']).toBe('0');
    expect((await request(app.callback()).delete(url).set(as('alice'))).status).toBe(204);
  });

  it("another user cannot concatenate someone else's partials", async () => {
    const app = ownedApp();
    const url = await create(app, 5, { 'X-User': 'alice', 'Upload-Concat': 'partial' });
    await patch(app, url, 0, randomBytes(5)).set('X-User', 'alice').expect(204);
    const res = await request(app.callback())
      .post('/files')
      .set(T)
      .set('X-User', 'mallory')
      .set('Upload-Concat', `final;${url}`);
    expect(res.status).toBe(400);
    expect(codes()).toEqual(['UPLOAD_CONCAT_INVALID']);
    const mine = await request(app.callback())
      .post('/files')
      .set(T)
      .set('X-User', 'alice')
      .set('Upload-Concat', `final;${url}`);
    expect(mine.status).toBe(201);
    expect(finishedIds).toHaveLength(1);
  });
});

describe('resumableUpload(): idle bodies', () => {
  it('a PATCH body that stops arriving is 408 UPLOAD_IDLE_TIMEOUT, closes, and keeps what arrived', async () => {
    const app = makeApp({ idleTimeout: 300 });
    const server = await listen(app);
    try {
      const url = await create(app, 100);
      const head =
        `PATCH ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
        'Content-Type: application/offset+octet-stream\r\nContent-Length: 100\r\n\r\n';
      const started = Date.now();
      const res = await rawExchange(server, head, randomBytes(40));
      expect(res.status).toBe(408);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(res.headers.connection).toBe('close');
      expect(res.headers['tus-resumable']).toBe('1.0.0');
      expect(res.closed).toBe(true);
      expect(codes()).toEqual(['UPLOAD_IDLE_TIMEOUT']);
      const after = await request(app.callback()).head(url).set(T);
      expect(after.headers['upload-offset']).toBe('40');
    } finally {
      await server.close();
    }
  });

  it('refuses a bad idleTimeout', () => {
    expect(() => resumableUpload({ path: '/files', directory: dir.path, idleTimeout: -1 })).toThrow(/idleTimeout/);
  });
});

describe('resumableUpload(): concurrent uploads per client', () => {
  it('a client over maxConcurrentUploads is 429 with Retry-After; slots free up when bodies end', async () => {
    const app = makeApp({ maxConcurrentUploads: 1 });
    const server = await listen(app);
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    try {
      const first = await create(app, 100);
      const second = await create(app, 10);
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
      });
      socket.on('error', () => {});
      socket.write(
        `PATCH ${first} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
          'Content-Type: application/offset+octet-stream\r\nContent-Length: 100\r\n\r\n',
      );
      socket.write(randomBytes(10));
      const file = `${dir.path}/${first.split('/').pop()}`;
      for (let i = 0; i < 200 && (await stat(file)).size < 10; i++) await new Promise((r) => setTimeout(r, 10));
      const patchSecond = () =>
        request(server.url)
          .patch(second)
          .set(T)
          .set('Upload-Offset', '0')
          .set('Content-Type', 'application/offset+octet-stream')
          .send(randomBytes(10));
      const refused = await patchSecond();
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['tus-resumable']).toBe('1.0.0');
      expect(codes()).toEqual(['UPLOAD_CONCURRENCY_LIMIT']);
      socket.write(randomBytes(90));
      for (let i = 0; i < 200 && !answer.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(answer).toMatch(/^HTTP\/1\.1 204/);
      expect((await patchSecond()).status).toBe(204);
      expect(finishedIds).toHaveLength(2);
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});

describe('resumableUpload(): keep-alive stays for complete requests', () => {
  it('POST, HEAD and a full PATCH on one connection are all answered, none with Connection: close', async () => {
    const app = makeApp();
    const server = await listen(app);
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    const heads = () => received.split('\r\n\r\n').filter((h) => h.startsWith('HTTP/1.1'));
    const waitFor = async (n: number) => {
      for (let i = 0; i < 300 && heads().length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      socket.write('POST /files HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 5\r\n\r\n');
      await waitFor(1);
      const id = /\/files\/([0-9a-f]{32})/.exec(heads()[0]!)![1];
      socket.write(`HEAD /files/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n\r\n`);
      await waitFor(2);
      socket.write(
        `PATCH /files/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
          'Content-Type: application/offset+octet-stream\r\nContent-Length: 5\r\n\r\nhello',
      );
      await waitFor(3);
      const all = heads();
      expect(all.map((h) => h.split(' ')[1])).toEqual(['201', '200', '204']);
      for (const h of all) expect(h.toLowerCase()).not.toContain('connection: close');
      expect(finishedIds).toEqual([id]);
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
