import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rangeDownload, sendFile } from '@koa-kit/range-download';
import { collectAppErrors, type Listening, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers.js';

let dir: { path: string; remove(): Promise<void> };
let file: string;
let server: Listening;
let errors: ReturnType<typeof collectAppErrors>;

beforeAll(async () => {
  dir = await tempDir('kk-range-controls-');
  file = path.join(dir.path, 'digits.txt');
  await writeFile(file, '0123456789');
  const app = new Koa();
  errors = collectAppErrors(app);
  app.use(rangeDownload());
  app.use(async (ctx) => {
    if (ctx.path === '/no-ranges') {
      ctx.set('Accept-Ranges', 'none');
      ctx.body = Buffer.from('0123456789');
    } else if (ctx.path === '/window') {
      await sendFile(ctx, file, { start: 2, end: 7 });
    } else if (ctx.path === '/typed') {
      ctx.set('Content-Type', 'text/x-upstream');
      await sendFile(ctx, file);
    } else if (ctx.path === '/from') {
      await sendFile(ctx, file, { start: 5 });
    }
  });
  server = await listen(app);
});
afterAll(async () => {
  await server.close();
  await dir.remove();
});

describe('what the app decides, range-download honours', () => {
  it('Accept-Ranges: none set by the handler is kept and no range is served', async () => {
    const res = await rawRequest(server.url, '/no-ranges', { headers: { Range: 'bytes=0-1' } });
    expect(res.status).toBe(200);
    expect(res.headers['accept-ranges']).toBe('none');
    expect(res.body.toString()).toBe('0123456789');
  });

  it('sendFile start/end sends that window of the file as the whole representation', async () => {
    const res = await rawRequest(server.url, '/window');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('6');
    expect(res.body.toString()).toBe('234567');
    const tail = await rawRequest(server.url, '/from');
    expect(tail.body.toString()).toBe('56789');
  });

  it('ranges are cut from the window, not from the file', async () => {
    const res = await rawRequest(server.url, '/window', { headers: { Range: 'bytes=1-2' } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe('bytes 1-2/6');
    expect(res.body.toString()).toBe('34');
    const suffix = await rawRequest(server.url, '/window', { headers: { Range: 'bytes=-2' } });
    expect(suffix.body.toString()).toBe('67');
    const multi = await rawRequest(server.url, '/window', { headers: { Range: 'bytes=0-0,5-5' } });
    expect(multi.status).toBe(206);
    expect(multi.body.toString()).toContain('2');
    expect(multi.body.toString()).toMatch(/Content-Range: bytes 5-5\/6\r\n\r\n7/);
    expect(errors.take()).toEqual([]);
  });

  it('sendFile keeps a Content-Type set upstream', async () => {
    expect((await rawRequest(server.url, '/typed')).headers['content-type']).toBe('text/x-upstream');
  });

  it('start/end are checked when sendFile is called', async () => {
    const app = new Koa();
    const seen = collectAppErrors(app);
    app.use((ctx) => sendFile(ctx, file, { start: 5, end: 2 }));
    const s = await listen(app);
    try {
      expect((await rawRequest(s.url, '/')).status).toBe(500);
      expect((seen.take() as Error[]).map((e) => e.message)).toEqual([
        'sendFile(): "end" option must be an integer >= "start"',
      ]);
    } finally {
      await s.close();
    }
  });
});
