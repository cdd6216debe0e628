import net from 'node:net';
import { errors } from '@koa-kit/errors';
import { collectAppErrors, listen } from '@koa-kit/testing';
import Koa from 'koa';
import { expect, it } from 'vitest';

// Found by the demo's fuzz test: a client that sends bytes after a `Connection: close` request
// makes Node's parser fail with HPE_CLOSED_CONNECTION, which Koa hands to ctx.onerror as if the
// server had failed. A client's malformed bytes are not a server error: nothing is emitted.
it('does not report a client HTTP parse error as a server error', async () => {
  const app = new Koa();
  let reachedErrors!: (err: NodeJS.ErrnoException) => void;
  const parseError = new Promise<NodeJS.ErrnoException>((resolve) => {
    reachedErrors = resolve;
  });
  app.use(errors());
  app.use(async (ctx, next) => {
    // The parse error reaches errors()'s ctx.onerror: the event this test waits for.
    const handle = ctx.onerror;
    ctx.onerror = function onerror(err) {
      handle.call(this, err);
      reachedErrors(err as NodeJS.ErrnoException);
    };
    await next();
  });
  app.use(async (ctx) => {
    // Answer only after Node refused the extra bytes (it destroys the socket): one outcome, its 400.
    const socket = ctx.req.socket;
    if (!socket.destroyed) await new Promise((resolve) => socket.once('close', resolve));
    ctx.body = { ok: true };
  });
  const appErrors = collectAppErrors(app);
  const server = await listen(app);
  try {
    const head = await new Promise<string>((resolve) => {
      let received = '';
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write('DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nunexpected body bytes');
      });
      socket.on('data', (chunk) => {
        received += chunk.toString();
      });
      socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
    });
    expect(head).toBe('HTTP/1.1 400 Bad Request');
    expect((await parseError).code).toBe('HPE_CLOSED_CONNECTION');
    expect(appErrors.take()).toEqual([]);
  } finally {
    await server.close();
  }
});
