import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type AppErrors, collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import { type UploadOptions, upload } from '@koa-kit/upload';
import createError from 'http-errors';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rawExchange, waitEmpty } from './helpers.js';

let dir: { path: string; remove(): Promise<void> };
let errors: AppErrors;

beforeEach(async () => {
  dir = await tempDir('kk-upload-reg-');
});
afterEach(async () => {
  errors?.assertNone();
  await dir.remove();
});

function makeApp(options: UploadOptions) {
  const app = new Koa();
  errors = collectAppErrors(app);
  app.use(upload({ dest: dir.path, ...options }));
  app.use((ctx) => {
    ctx.body = { names: ctx.state.upload!.files.map((f) => f.originalname) };
  });
  return app;
}

const BOUNDARY = 'kkboundary';

/** Sends a multipart head and the start of one file over a raw socket; returns the response head and whether the server closed. */
function partialMultipart(server: Listening, declaredLength: number, sent: Buffer) {
  const part = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const head =
    `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
    `Content-Length: ${declaredLength}\r\n\r\n`;
  return rawExchange(server, head, Buffer.concat([part, sent]));
}

describe('upload() regressions', () => {
  it('an idle multipart body is 408 UPLOAD_IDLE_TIMEOUT, the connection closes and the partial file is removed', async () => {
    const app = makeApp({ idleTimeout: 300 });
    const server = await listen(app);
    try {
      const res = await partialMultipart(server, 100_000, randomBytes(2000));
      expect(res.status).toBe(408);
      expect(res.headers.connection).toBe('close');
      expect(res.closed).toBe(true);
      expect(errors.take().map((e) => (e as { code?: string }).code)).toEqual(['UPLOAD_IDLE_TIMEOUT']);
      expect(await waitEmpty(dir.path)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('refuses a bad idleTimeout', () => {
    expect(() => upload({ dest: dir.path, idleTimeout: -1 })).toThrow(/idleTimeout/);
  });
});

describe('upload(): fileFilter', () => {
  it('gets ctx and the file; true keeps, false skips, a thrown HttpError refuses with its status and code', async () => {
    const seen: string[] = [];
    const app = makeApp({
      fileFilter: async (ctx, file) => {
        seen.push(`${ctx.get('x-user')}:${file.fieldname}:${file.originalname}:${file.mimetype}`);
        if (file.originalname.endsWith('.exe')) throw createError(422, 'No executables', { code: 'NO_EXE' });
        return !file.originalname.startsWith('skip');
      },
    });
    const ok = await request(app.callback())
      .post('/')
      .set('X-User', 'alice')
      .attach('a', Buffer.from('one'), { filename: 'keep.txt', contentType: 'text/plain' })
      .attach('b', Buffer.from('two'), { filename: 'skip.txt', contentType: 'text/plain' });
    expect(ok.status).toBe(200);
    expect(ok.body.names).toEqual(['keep.txt']);
    expect(seen).toEqual(['alice:a:keep.txt:text/plain', 'alice:b:skip.txt:text/plain']);
    const refused = await request(app.callback())
      .post('/')
      .attach('a', Buffer.from('MZ'), { filename: 'x.exe', contentType: 'application/octet-stream' });
    expect(refused.status).toBe(422);
    expect(errors.take().map((e) => (e as { code?: string }).code)).toEqual(['NO_EXE']);
    expect(await waitEmpty(dir.path)).toEqual([]);
  });

  it('a return value other than true/false refuses (415), a plain Error is a hidden 500', async () => {
    let answer: unknown = 'yes';
    const app = makeApp({
      fileFilter: () => {
        if (answer instanceof Error) throw answer;
        return answer as boolean;
      },
    });
    const send = () =>
      request(app.callback()).post('/').attach('a', Buffer.from('x'), { filename: 'a.txt', contentType: 'text/plain' });
    expect((await send()).status).toBe(415);
    answer = new Error('database down: secret');
    const failed = await send();
    expect(failed.status).toBe(500);
    expect(failed.text).not.toContain('secret');
    expect(errors.take().map((e) => (e as { code?: string }).code)).toEqual([
      'FILE_TYPE_NOT_ACCEPTED',
      'UPLOAD_HOOK_FAILED',
    ]);
    expect(() => upload({ fileFilter: 'x' as never })).toThrow(/fileFilter/);
  });
});

describe('upload(): @koa/multer aliases', () => {
  it('ctx.file and ctx.files are the same objects as ctx.request.file and ctx.request.files', async () => {
    const app = new Koa();
    errors = collectAppErrors(app);
    const single = new Koa();
    single.use(upload({ dest: dir.path, single: 'doc' }));
    single.use((ctx) => {
      ctx.body = { same: ctx.file === ctx.request.file && ctx.file !== undefined, name: ctx.file?.originalname };
    });
    app.use(upload({ dest: dir.path, array: 'docs' }));
    app.use((ctx) => {
      ctx.body = {
        same: ctx.files === ctx.request.files && Array.isArray(ctx.files),
        count: (ctx.files as unknown[]).length,
      };
    });
    const one = await request(single.callback()).post('/').attach('doc', Buffer.from('x'), 'a.txt');
    expect(one.body).toEqual({ same: true, name: 'a.txt' });
    const many = await request(app.callback())
      .post('/')
      .attach('docs', Buffer.from('x'), 'a.txt')
      .attach('docs', Buffer.from('y'), 'b.txt');
    expect(many.body).toEqual({ same: true, count: 2 });
  });
});

describe('upload(): filename', () => {
  it('puts files where the hook says under dest (per-user folder, extension kept); the client name is never the path', async () => {
    const app = makeApp({
      keep: true,
      filename: (ctx, file) => `${ctx.get('x-user')}/f-${file.fieldname}${path.extname(file.originalname)}`,
    });
    const res = await request(app.callback())
      .post('/')
      .set('X-User', 'alice')
      .attach('doc', Buffer.from('%PDF'), { filename: '../../etc/passwd.pdf', contentType: 'application/pdf' });
    expect(res.status).toBe(200);
    expect(await readFile(path.join(dir.path, 'alice', 'f-doc.pdf'), 'utf8')).toBe('%PDF');
    expect(await readdir(dir.path)).toEqual(['alice']);
  });

  it('records the chosen path on the file, and an unsafe path from the hook is a hidden 500', async () => {
    let chosen = 'alice/report.pdf';
    const app = new Koa();
    errors = collectAppErrors(app);
    app.use(upload({ dest: dir.path, keep: true, filename: () => chosen }));
    app.use((ctx) => {
      const [file] = ctx.state.upload!.files;
      ctx.body = { filename: file!.filename, path: file!.path };
    });
    const ok = await request(app.callback()).post('/').attach('doc', Buffer.from('%PDF'), 'whatever.bin');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ filename: 'alice/report.pdf', path: path.join(dir.path, 'alice', 'report.pdf') });
    expect(await readFile(path.join(dir.path, 'alice', 'report.pdf'), 'utf8')).toBe('%PDF');
    for (const unsafe of ['../x', '/etc/x', 'a/../../x', '.hidden', 'a\\b', 'a//b', '']) {
      chosen = unsafe;
      const res = await request(app.callback()).post('/').attach('doc', Buffer.from('x'), 'a.bin');
      expect(res.status).toBe(500);
    }
    expect(new Set(errors.take().map((e) => (e as { code?: string }).code))).toEqual(new Set(['UPLOAD_HOOK_FAILED']));
    expect(() => upload({ filename: 'x' as never })).toThrow(/filename/);
  });
});
