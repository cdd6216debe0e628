import { collectAppErrors, listen, renderErrors, startRedisServer, tempDir } from '@koa-kit/testing';
import { redisLocker, resumableUpload } from '@koa-kit/upload';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { expect, it } from 'vitest';

// Redis goes away under a running app: a documented, hidden 500 at once (not a request queued
// until ioredis gives up), and uploads work again when Redis is back, with no restart.

const T = { 'Tus-Resumable': '1.0.0' };
const redis = await startRedisServer();
/** The next `event` of `client` (events.once would reject on the 'error' events a lost Redis emits). */
const next = (client: Redis, event: string) => new Promise<void>((resolve) => client.once(event, () => resolve()));

it.skipIf(redis === null)(
  'Redis down: HEAD and PATCH answer 500 UPLOAD_STORAGE_FAILED at once; back up: the upload resumes',
  async () => {
    const dir = await tempDir('kk-rl-down-');
    const client = new Redis(redis!.url); // default options: ioredis would queue for seconds
    client.on('error', () => {});
    const app = new Koa();
    const errors = collectAppErrors(app);
    app.use(renderErrors);
    const locker = redisLocker({ client });
    app.use(resumableUpload({ path: '/files', directory: dir.path, locker }));
    const server = await listen(app);
    try {
      const created = await fetch(`${server.url}/files`, { method: 'POST', headers: { ...T, 'Upload-Length': '10' } });
      const path = new URL(created.headers.get('location')!).pathname;
      const patch = (offset: number, body: Uint8Array<ArrayBuffer>) =>
        fetch(`${server.url}${path}`, {
          method: 'PATCH',
          headers: { ...T, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
          body,
        });
      expect((await patch(0, Buffer.alloc(4, 'a'))).status).toBe(204);

      const reconnecting = next(client, 'reconnecting');
      await redis!.stop();
      await reconnecting;
      const head = await fetch(`${server.url}${path}`, { method: 'HEAD', headers: T });
      expect(head.status).toBe(500);
      expect(head.headers.get('tus-resumable')).toBe('1.0.0');
      const refused = await patch(4, Buffer.alloc(6, 'b'));
      expect(refused.status).toBe(500);
      expect(await refused.json()).toEqual({ code: 'UPLOAD_STORAGE_FAILED', message: 'Internal Server Error' });
      const reported = errors.take() as { code?: string; cause?: unknown }[];
      expect(reported.map((e) => e.code)).toEqual(['UPLOAD_STORAGE_FAILED', 'UPLOAD_STORAGE_FAILED']);

      const ready = next(client, 'ready');
      await redis!.start();
      await ready;
      const resumed = await fetch(`${server.url}${path}`, { method: 'HEAD', headers: T });
      expect(resumed.headers.get('upload-offset')).toBe('4');
      expect((await patch(4, Buffer.alloc(6, 'b'))).status).toBe(204);
      errors.assertNone();
    } finally {
      await server.close();
      await locker.close();
      client.disconnect();
      await redis!.stop();
      await dir.remove();
    }
  },
  15_000,
);
