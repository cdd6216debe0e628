import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { rateLimit } from '@koa-kit/rate-limit';
import { collectAppErrors, listen } from '@koa-kit/testing';
import { describe, expect, it } from 'vitest';
import { assertOnlyRefusals, makeApp, sleep } from './helpers.js';

const run = promisify(execFile);

describe('real clients and broken ones', () => {
  it('curl sees the headers, then a 429 with Retry-After and a plain body', async () => {
    const { app } = makeApp(rateLimit({ max: 1, duration: '1m' }));
    const errors = collectAppErrors(app);
    const server = await listen(app);
    try {
      const first = await run('curl', ['-s', '-i', server.url]);
      expect(first.stdout).toMatch(/^HTTP\/1\.1 200/);
      expect(first.stdout).toMatch(/\r\nX-RateLimit-Remaining: 0\r\n/i);
      const second = await run('curl', ['-s', '-i', server.url]);
      expect(second.stdout).toMatch(/^HTTP\/1\.1 429/);
      expect(second.stdout).toMatch(/\r\nRetry-After: (59|60)\r\n/i);
      expect(second.stdout).toMatch(/\r\n\r\nRate limit exceeded, retry in \d+ seconds\.$/);
      assertOnlyRefusals(errors.take());
    } finally {
      await server.close();
    }
  });

  it('counts requests whose client hung up, without crashing or emitting anything', async () => {
    const { app } = makeApp(rateLimit({ max: 3, duration: '1m' }));
    const errors = collectAppErrors(app);
    const server = await listen(app);
    try {
      for (let i = 0; i < 5; i++) {
        const socket = net.connect(server.port, '127.0.0.1');
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        socket.destroy();
      }
      const half = net.connect(server.port, '127.0.0.1');
      half.write('GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ');
      await sleep(100);
      half.destroy();
      await sleep(100);
      const res = await fetch(server.url);
      await res.arrayBuffer();
      expect([200, 429]).toContain(res.status);
      assertOnlyRefusals(errors.take());
    } finally {
      await server.close();
    }
  });
});
