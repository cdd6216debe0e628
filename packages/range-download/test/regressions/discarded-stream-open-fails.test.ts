import { createReadStream, type ReadStream, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rangeDownload } from '@koa-kit/range-download';
import { collectAppErrors, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { expect, it } from 'vitest';

// Found by the package install check: a file stream that rangeDownload() discards unread may still
// be opening; if its open then fails (the file deleted meanwhile, EMFILE), an 'error' with no
// listener crashed the process.
it('survives a discarded file stream whose pending open fails (416 and 206 paths)', async () => {
  const dir = await tempDir('koa-kit-range-');
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);
  process.on('uncaughtException', onCrash);
  // The streams the handler made: rangeDownload() discards each unread, and its open then fails.
  const opened: ReadStream[] = [];
  const app = new Koa();
  app.use(rangeDownload());
  app.use(async (ctx) => {
    const file = path.join(dir.path, `f-${Math.random()}.bin`);
    writeFileSync(file, Buffer.alloc(1000, 1));
    ctx.length = 1000;
    const stream = createReadStream(file);
    opened.push(stream);
    ctx.body = stream;
    // Deleted before the stream's open (queued for the next tick) runs: it will fail with ENOENT.
    // Synchronously, so the handler returns at once and the failure comes after rangeDownload()
    // has had its turn; with an awaited unlink the open could fail before the handler returned,
    // which no middleware can catch (1 run in ~12 failed that way).
    unlinkSync(file);
  });
  const appErrors = collectAppErrors(app);
  const server = await listen(app);
  try {
    const unsatisfiable = await fetch(server.url, { headers: { range: 'bytes=5000-6000' } });
    expect(unsatisfiable.status).toBe(416);
    await unsatisfiable.arrayBuffer();
    const partial = await fetch(server.url, { headers: { range: 'bytes=0-9' } }).catch((err: Error) => err);
    if (!(partial instanceof Error)) await partial.arrayBuffer().catch(() => {});
    // 'close' comes after the failed open's 'error': by then it was handled, or it crashed.
    // (events.once would add an 'error' listener of its own and hide the crash.)
    await Promise.all(opened.map((s) => s.closed || new Promise<void>((resolve) => s.on('close', () => resolve()))));
    expect(opened).toHaveLength(2);
    expect(crashes.map((e) => (e as Error).stack)).toEqual([]);
    appErrors.take();
  } finally {
    process.off('uncaughtException', onCrash);
    await server.close();
    await dir.remove();
  }
});
