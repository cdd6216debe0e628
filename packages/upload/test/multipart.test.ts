import { once } from 'node:events';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { type AppErrors, collectAppErrors, listen, tempDir } from '@koa-kit/testing';
import { type UploadOptions, upload } from '@koa-kit/upload';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { curl, sha256, sha256File, waitEmpty } from './helpers.js';

let dir: { path: string; remove(): Promise<void> };
let work: { path: string; remove(): Promise<void> };
let errors: AppErrors;

beforeEach(async () => {
  dir = await tempDir('kk-upload-dest-');
  work = await tempDir('kk-upload-work-');
});
afterEach(async () => {
  errors?.assertNone();
  await dir.remove();
  await work.remove();
});

/** An app that echoes what upload() produced; `expected` lists the codes the test expects to see. */
function makeApp(options: UploadOptions, handler?: (ctx: Koa.Context) => Promise<void> | void) {
  const app = new Koa();
  errors = collectAppErrors(app);
  let reached = false;
  app.use(upload({ dest: dir.path, ...options }));
  app.use(async (ctx) => {
    reached = true;
    if (handler) return handler(ctx);
    const files = ctx.state.upload!.files;
    ctx.body = {
      body: { ...ctx.request.body },
      file: ctx.request.file ?? null,
      files: ctx.request.files ?? null,
      hashes: await Promise.all(files.map((f) => sha256File(f.path))),
    };
  });
  return { app, reached: () => reached };
}

function takeCodes(): string[] {
  return errors.take().map((e) => (e as { code: string }).code);
}

describe('upload(): options', () => {
  it('validates options when called', () => {
    expect(() => upload({ limits: { fileSize: -1 } })).toThrow(/limits.fileSize/);
    expect(() => upload({ limits: { nope: 1 } as never })).toThrow(/limits.nope/);
    expect(() => upload({ single: 'a', array: 'b' })).toThrow(/cannot be used together/);
    expect(() => upload({ accept: ['not a type'] })).toThrow(/accept/);
    expect(() => upload({ maxCount: 2 })).toThrow(/maxCount/);
    expect(() => upload({ keep: 'yes' as never })).toThrow(/keep/);
    expect(() => upload('x' as never)).toThrow(TypeError);
    const options = { dest: dir.path, limits: { fileSize: 5 } };
    const copy = structuredClone(options);
    upload(options);
    expect(options).toEqual(copy);
    expect(upload({ dest: dir.path }).name).toBe('upload');
  });
});

describe('upload(): shapes and names', () => {
  it('gives a Chinese file name back intact through curl, with a random name on disk', async () => {
    const { app } = makeApp({ single: 'file', keep: true });
    const server = await listen(app);
    try {
      const content = Buffer.from('%PDF-1.4 报告内容');
      await writeFile(path.join(work.path, '报告.pdf'), content);
      const res = await curl(['-F', 'file=@报告.pdf', '-F', 'title=年度', `${server.url}/`], { cwd: work.path });
      expect(res.status).toBe(200);
      const json = JSON.parse(res.body);
      expect(json.file.originalname).toBe('报告.pdf');
      expect(json.body.title).toBe('年度');
      expect(json.file.filename).toMatch(/^[0-9a-f]{32}$/);
      expect(path.dirname(json.file.path)).toBe(path.resolve(dir.path));
      expect(json.hashes[0]).toBe(sha256(content));
      expect(await readdir(dir.path)).toEqual([json.file.filename]);
    } finally {
      await server.close();
    }
  });

  it('decodes a browser-style raw UTF-8 filename and an RFC 5987 filename*', async () => {
    const { app } = makeApp({ any: true });
    const boundary = 'XyZ';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="a"; filename="报告.pdf"\r\nContent-Type: application/pdf\r\n\r\nA\r\n`,
      ),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="b"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.txt\r\nContent-Type: text/plain\r\n\r\nB\r\n--${boundary}--\r\n`,
      ),
    ]);
    const res = await request(app.callback())
      .post('/')
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body.files.map((f: { originalname: string }) => f.originalname)).toEqual(['报告.pdf', '报告.txt']);
  });

  it('array, fields and any put files where they belong', async () => {
    const a = makeApp({ array: 'photos', maxCount: 3 }).app;
    const r1 = await request(a.callback())
      .post('/')
      .attach('photos', Buffer.from('1'), 'a.png')
      .attach('photos', Buffer.from('2'), 'b.png');
    expect(r1.status).toBe(200);
    expect(r1.body.files.map((f: { originalname: string }) => f.originalname)).toEqual(['a.png', 'b.png']);

    const f = makeApp({ fields: [{ name: 'avatar' }, { name: 'docs', maxCount: 2 }] }).app;
    const r2 = await request(f.callback())
      .post('/')
      .attach('avatar', Buffer.from('x'), 'me.jpg')
      .attach('docs', Buffer.from('y'), 'a.txt')
      .field('note', 'hi');
    expect(r2.status).toBe(200);
    expect(Object.keys(r2.body.files).sort()).toEqual(['avatar', 'docs']);
    expect(r2.body.body.note).toBe('hi');

    const any = makeApp({}).app;
    const r3 = await request(any.callback())
      .post('/')
      .attach('x', Buffer.from('x'), 'x.bin')
      .attach('y', Buffer.from('y'), 'y.bin');
    expect(r3.body.files).toHaveLength(2);
  });

  it('removes the files after the response by default, keeps a moved file', async () => {
    const moved = path.join(work.path, 'kept.bin');
    const { app } = makeApp({ array: 'f' }, async (ctx) => {
      const files = ctx.request.files as { path: string }[];
      await rename(files[0]!.path, moved);
      ctx.body = 'ok';
    });
    const res = await request(app.callback())
      .post('/')
      .attach('f', Buffer.from('keep me'), 'a.txt')
      .attach('f', Buffer.from('drop'), 'b.txt');
    expect(res.status).toBe(200);
    expect(await waitEmpty(dir.path)).toEqual([]);
    expect(await readFile(moved, 'utf8')).toBe('keep me');
  });

  it('passes requests without a body through and refuses a non-multipart body with 415', async () => {
    const { app, reached } = makeApp({}, (ctx) => {
      ctx.body = { files: ctx.request.files ?? null };
    });
    const ok = await request(app.callback()).get('/');
    expect(ok.status).toBe(200);
    expect(reached()).toBe(true);
    const bad = await request(app.callback()).post('/').set('Content-Type', 'application/json').send('{"a":1}');
    expect(bad.status).toBe(415);
    expect(bad.headers['accept-post']).toBe('multipart/form-data');
    expect(takeCodes()).toEqual(['NOT_MULTIPART']);
  });
});

describe('upload(): limits and refusals', () => {
  const cases: [string, UploadOptions, (r: request.Test) => request.Test, number, string][] = [
    ['fileSize', { limits: { fileSize: 10 } }, (r) => r.attach('f', Buffer.alloc(11), 'a.bin'), 413, 'FILE_TOO_LARGE'],
    [
      'files',
      { limits: { files: 1 } },
      (r) => r.attach('f', Buffer.from('1'), 'a').attach('g', Buffer.from('2'), 'b'),
      413,
      'TOO_MANY_FILES',
    ],
    ['fields', { limits: { fields: 1 } }, (r) => r.field('a', '1').field('b', '2'), 413, 'TOO_MANY_FIELDS'],
    ['fieldSize', { limits: { fieldSize: 4 } }, (r) => r.field('a', '12345'), 413, 'FIELD_TOO_LARGE'],
    ['fieldNameSize', { limits: { fieldNameSize: 3 } }, (r) => r.field('abcd', '1'), 413, 'FIELD_NAME_TOO_LONG'],
    [
      'parts',
      { limits: { parts: 2 } },
      (r) => r.field('a', '1').field('b', '2').attach('f', Buffer.from('x'), 'x'),
      413,
      'TOO_MANY_PARTS',
    ],
    [
      'bodySize',
      { limits: { bodySize: 100 } },
      (r) => r.attach('f', Buffer.alloc(200), 'a.bin'),
      413,
      'BODY_TOO_LARGE',
    ],
    ['single, twice', { single: 'f' }, (r) => r.attach('f', Buffer.from('2'), 'b'), 413, 'TOO_MANY_FILES'],
    ['unexpected field', { single: 'f' }, (r) => r.attach('other', Buffer.from('1'), 'a'), 400, 'UNEXPECTED_FILE'],
    [
      'accept',
      { accept: ['image/*', '.pdf'] },
      (r) => r.attach('f', Buffer.from('1'), { filename: 'a.exe', contentType: 'application/x-msdownload' }),
      415,
      'FILE_TYPE_NOT_ACCEPTED',
    ],
    ['nesting', {}, (r) => r.field('a[b][c][d][e][f][g]', '1'), 400, 'INVALID_FIELD_NAME'],
  ];
  for (const [name, options, build, status, code] of cases) {
    it(`${name}: ${status} ${code}, downstream never runs, nothing left on disk`, async () => {
      const { app, reached } = makeApp(options);
      // A first, valid file is written before the refusal, so removal is exercised.
      // A first, valid file is written before the refusal, so removal is exercised.
      const first = options.single ? options.single : 'first';
      const res = await build(request(app.callback()).post('/').attach(first, Buffer.alloc(3000, 1), 'first.png'));
      expect(res.status).toBe(status);
      expect(reached()).toBe(false);
      expect(await waitEmpty(dir.path)).toEqual([]);
      expect(takeCodes()).toEqual([code]);
    });
  }

  it('single route: a second file in the field is 413 TOO_MANY_FILES, another field is 400 UNEXPECTED_FILE', async () => {
    const { app } = makeApp({ single: 'f' });
    const twice = await request(app.callback())
      .post('/')
      .attach('f', Buffer.from('1'), 'a')
      .attach('f', Buffer.from('2'), 'b');
    expect(twice.status).toBe(413);
    const other = await request(app.callback()).post('/').attach('g', Buffer.from('1'), 'a');
    expect(other.status).toBe(400);
    expect(takeCodes()).toEqual(['TOO_MANY_FILES', 'UNEXPECTED_FILE']);
    expect(await waitEmpty(dir.path)).toEqual([]);
  });

  it('accepts what matches accept (MIME pattern or extension)', async () => {
    const { app } = makeApp({ accept: ['image/*', '.pdf'] });
    const res = await request(app.callback())
      .post('/')
      .attach('a', Buffer.from('1'), { filename: 'x.png', contentType: 'image/png' })
      .attach('b', Buffer.from('2'), { filename: 'R.PDF', contentType: 'application/octet-stream' });
    expect(res.status).toBe(200);
    expect(res.body.files).toHaveLength(2);
  });

  it('malformed multipart is 400 MALFORMED_MULTIPART', async () => {
    const { app } = makeApp({});
    const noBoundary = await request(app.callback()).post('/').set('Content-Type', 'multipart/form-data').send('abc');
    expect(noBoundary.status).toBe(400);
    const truncated = await request(app.callback())
      .post('/')
      .set('Content-Type', 'multipart/form-data; boundary=B')
      .send('--B\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nhalf a file');
    expect(truncated.status).toBe(400);
    const garbage = await request(app.callback())
      .post('/')
      .set('Content-Type', 'multipart/form-data; boundary=B')
      .send('--B\r\nthis is not a header line at all\r\n\r\n--B--');
    expect(garbage.status).toBe(400);
    expect(takeCodes()).toEqual(['MALFORMED_MULTIPART', 'MALFORMED_MULTIPART', 'MALFORMED_MULTIPART']);
    expect(await waitEmpty(dir.path)).toEqual([]);
  });

  it('an error thrown downstream removes every file, even with keep', async () => {
    const { app } = makeApp({ keep: true }, () => {
      throw Object.assign(new Error('boom'), { status: 422, expose: true });
    });
    const res = await request(app.callback())
      .post('/')
      .attach('a', Buffer.alloc(5000), 'a')
      .attach('b', Buffer.alloc(5000), 'b');
    expect(res.status).toBe(422);
    expect(await waitEmpty(dir.path)).toEqual([]);
    expect(errors.take()).toHaveLength(1);
  });

  it('a chunked body over bodySize is refused while it streams', async () => {
    const { app } = makeApp({ limits: { bodySize: 64 * 1024, fileSize: 1024 * 1024 } });
    const server = await listen(app);
    try {
      await writeFile(path.join(work.path, 'big.bin'), Buffer.alloc(512 * 1024, 7));
      const res = await curl(['-H', 'Transfer-Encoding: chunked', '-F', 'f=@big.bin', `${server.url}/`], {
        cwd: work.path,
      });
      expect(res.status).toBe(413);
      expect(takeCodes()).toEqual(['BODY_TOO_LARGE']);
      expect(await waitEmpty(dir.path)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('upload(): aborted connections', () => {
  it('a client that sends half a body and hangs up leaves nothing on disk', async () => {
    const { app, reached } = makeApp({});
    const server = await listen(app);
    try {
      const boundary = 'AbortBoundary';
      const head =
        `--${boundary}\r\nContent-Disposition: form-data; name="done"; filename="done.bin"\r\n\r\n${'d'.repeat(1000)}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="half"; filename="half.bin"\r\n\r\n`;
      const total = head.length + 1024 * 1024;
      const socket = net.connect(server.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(
        `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${total + 100}\r\n\r\n`,
      );
      socket.write(head);
      socket.write(Buffer.alloc(256 * 1024, 1));
      // Wait until the server has started writing both files.
      const deadline = Date.now() + 3000;
      while ((await readdir(dir.path)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect((await readdir(dir.path)).length).toBe(2);
      socket.destroy();
      expect(await waitEmpty(dir.path)).toEqual([]);
      expect(reached()).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
      // Koa itself reports the socket error (HPE_INVALID_EOF_STATE) through on-finished; ours is UPLOAD_ABORTED.
      expect(takeCodes().filter((c) => !c.startsWith('HPE_') && c !== 'ECONNRESET')).toEqual(['UPLOAD_ABORTED']);
    } finally {
      await server.close();
    }
  });
});
