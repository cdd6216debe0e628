import { collectAppErrors, listen, renderErrors, startRedisServer, tempDir } from '@koa-kit/testing';
import { redisLocker, resumableUpload } from '@koa-kit/upload';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { expect, it } from 'vitest';

// Redis goes away under a running app: a documented 503 with Retry-After at once (not a request
// queued until ioredis gives up, not a hidden 500), reported once on the app for the outage, and
// uploads work again when Redis is back, with no restart.

const T = { 'Tus-Resumable': '1.0.0' };
const redis = await startRedisServer();
/** The next `event` of `client` (events.once would reject on the 'error' events a lost Redis emits). */
const next = (client: Redis, event: string) => new Promise<void>((resolve) => client.once(event, () => resolve()));

it.skipIf(redis === null)(
  'Redis down: every locking request answers 503 UPLOAD_LOCKER_UNAVAILABLE at once, reported once; back up: the upload resumes',
  async () => {
    const dir = await tempDir('kk-rl-down-');
    // A command ioredis queues while disconnected waits forever here: only a request failed at once is answered.
    const client = new Redis(redis!.url, { maxRetriesPerRequest: null });
    client.on('error', () => {});
    const app = new Koa();
    const errors = collectAppErrors(app);
    app.use(renderErrors);
    const locker = redisLocker({ client });
    app.use(resumableUpload({ path: '/files', directory: dir.path, locker }));
    const server = await listen(app);
    try {
      const create = (headers: Record<string, string>) =>
        fetch(`${server.url}/files`, { method: 'POST', headers: { ...T, ...headers } });
      const patch = (path: string, offset: number, body: Uint8Array<ArrayBuffer>) =>
        fetch(`${server.url}${path}`, {
          method: 'PATCH',
          headers: { ...T, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
          body,
        });
      const pathOf = (res: Response) => new URL(res.headers.get('location')!).pathname;
      const path = pathOf(await create({ 'Upload-Length': '10' }));
      expect((await patch(path, 0, Buffer.alloc(4, 'a'))).status).toBe(204);
      const partial = pathOf(await create({ 'Upload-Length': '3', 'Upload-Concat': 'partial' }));
      expect((await patch(partial, 0, Buffer.from('xyz'))).status).toBe(204);

      const reconnecting = next(client, 'reconnecting');
      await redis!.stop();
      await reconnecting;
      const unavailable = async (res: Response, withBody = true) => {
        expect(res.status).toBe(503);
        expect(res.headers.get('tus-resumable')).toBe('1.0.0');
        expect(res.headers.get('retry-after')).toBe('1');
        expect(res.headers.get('access-control-allow-origin')).toBe('*');
        if (withBody) {
          expect(await res.json()).toEqual({ code: 'UPLOAD_LOCKER_UNAVAILABLE', message: 'Service Unavailable' });
        }
      };
      await unavailable(await fetch(`${server.url}${path}`, { method: 'HEAD', headers: T }), false);
      await unavailable(await patch(path, 4, Buffer.alloc(6, 'b')));
      await unavailable(await create({ 'Upload-Length': '5' })); // creation takes a lock too
      await unavailable(await create({ 'Upload-Concat': `final;${partial}` })); // the final's locks (lockAll)
      // The outage is reported once on the app (the 503s are exposed: Koa and errors() log none of them).
      const reported = errors.take() as { code?: string; status?: number; expose?: boolean; cause?: unknown }[];
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatchObject({ code: 'UPLOAD_LOCKER_ERROR', status: 503, expose: false });
      expect((reported[0] as unknown as Error).message).toMatch(/^upload locker failed: /);
      expect(reported[0]!.cause).toBeInstanceOf(Error);

      const ready = next(client, 'ready');
      await redis!.start();
      await ready;
      const resumed = await fetch(`${server.url}${path}`, { method: 'HEAD', headers: T });
      expect(resumed.headers.get('upload-offset')).toBe('4');
      expect((await patch(path, 4, Buffer.alloc(6, 'b'))).status).toBe(204);
      expect((await create({ 'Upload-Concat': `final;${partial}` })).status).toBe(201);
      errors.assertNone();

      // A second outage is a new report.
      const again = next(client, 'reconnecting');
      await redis!.stop();
      await again;
      await unavailable(await fetch(`${server.url}${path}`, { method: 'HEAD', headers: T }), false);
      await unavailable(await fetch(`${server.url}${path}`, { method: 'HEAD', headers: T }), false);
      expect((errors.take() as { code?: string }[]).map((e) => e.code)).toEqual(['UPLOAD_LOCKER_ERROR']);
    } finally {
      await server.close();
      await locker.close();
      client.disconnect();
      await redis!.stop();
      await dir.remove();
    }
  },
  20_000,
);

it('between two reconnection attempts (status "connecting" after "ready") lock() fails at once, without queueing a command', async () => {
  let status = 'ready';
  const sent: string[] = [];
  const subscriber = { subscribe: async () => {}, on() {}, disconnect() {} };
  const client = {
    get status() {
      return status;
    },
    set: async () => {
      sent.push('set');
      return 'OK' as const;
    },
    eval: async () => {
      sent.push('eval');
      return 1;
    },
    publish: async () => 0,
    duplicate: () => subscriber,
  };
  const locker = redisLocker({ client });
  const lock = locker.newLock('a'.repeat(32));
  await lock.lock(new AbortController().signal, () => {});
  await lock.unlock();
  expect(sent).toEqual(['set', 'eval']);

  status = 'connecting'; // ioredis between 'reconnecting' and a failed attempt: a command would wait in its queue
  const refused = await lock.lock(new AbortController().signal, () => {}).catch((error: unknown) => error);
  expect(refused).toMatchObject({ status: 503, code: 'UPLOAD_LOCKER_UNAVAILABLE', expose: true });
  expect(sent).toEqual(['set', 'eval']);
  await locker.close();
});
