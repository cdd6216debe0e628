import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { serveStatic } from '@koa-kit/static';
import { collectAppErrors, listen, tempDir } from '@koa-kit/testing';
import Koa from 'koa';
import { expect, it } from 'vitest';

const openFds = () => readdirSync('/proc/self/fd').length;

it.skipIf(process.platform !== 'linux')('clients that hang up mid-download leave no open file behind', async () => {
  const dir = await tempDir('kk-abort-');
  await writeFile(path.join(dir.path, 'big.bin'), Buffer.alloc(8 * 1024 * 1024, 1));
  const app = new Koa();
  const errors = collectAppErrors(app);
  app.use(serveStatic(dir.path));
  const server = await listen(app);
  try {
    const { port } = server;
    const before = openFds();
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const req = http.get({ host: '127.0.0.1', port, path: '/big.bin', agent: false }, (res) => {
              res.once('data', () => {
                req.destroy(); // hang up after the first bytes
                resolve();
              });
            });
            req.on('error', () => resolve());
          }),
      ),
    );
    // the server notices each hang-up and closes the file
    for (let i = 0; i < 50 && openFds() > before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(openFds()).toBeLessThanOrEqual(before);
    // still serving
    const ok = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/big.bin', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
    });
    expect(ok).toBe(200);
    // Koa reports each hang-up (premature close, reset, broken pipe): nothing else may be emitted
    for (const e of errors.take() as Array<{ code?: string }>) {
      expect(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE']).toContain(e.code);
    }
  } finally {
    await server.close();
    await dir.remove();
  }
});
