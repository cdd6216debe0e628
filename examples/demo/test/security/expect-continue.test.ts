import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tempDir } from '@koa-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../../src/app.js';
import { createServer } from '../../src/server.js';

let server: ReturnType<typeof createServer>;
let data: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  data = await tempDir('koa-kit-demo-continue-');
  server = createServer(await createDemo({ dataDir: data.path }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await data.remove();
});

/** Sends only the headers of an upload that waits for `100 Continue`; returns the first bytes answered. */
function firstAnswer(path: string, headers: string[]): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(received);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.write([`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Expect: 100-continue', ...headers, '', ''].join('\r\n'));
  });
}

describe('an unauthenticated upload that expects 100-continue', () => {
  it('gets its 401 without 100 Continue (multipart)', async () => {
    const answer = await firstAnswer('/api/form-uploads', [
      'Content-Type: multipart/form-data; boundary=x',
      'Content-Length: 10000000',
    ]);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('gets its 401 without 100 Continue (tus PATCH)', async () => {
    const answer = await firstAnswer('/api/uploads', [
      'Tus-Resumable: 1.0.0',
      'Upload-Length: 10000000',
      'Content-Type: application/offset+octet-stream',
      'Content-Length: 10000000',
    ]);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
  });
});
