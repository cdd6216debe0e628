import net from 'node:net';
import { rateLimit } from '@koa-kit/rate-limit';
import { listen } from '@koa-kit/testing';
import type Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { makeApp } from './helpers.js';

/** The header names of one response exactly as they are on the wire (fetch would lower-case them). */
async function wireHeaderNames(app: Koa): Promise<string[]> {
  const server = await listen(app);
  try {
    const head = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
        const end = text.indexOf('\r\n\r\n');
        if (end !== -1) {
          socket.destroy();
          resolve(text.slice(0, end));
        }
      });
      socket.on('error', reject);
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    return head
      .split('\r\n')
      .slice(1)
      .map((line) => line.slice(0, line.indexOf(':')));
  } finally {
    await server.close();
  }
}

describe('header names on the wire', () => {
  it('sends the default names in lower case, standard fields included', async () => {
    const { app } = makeApp(rateLimit({ max: 5, duration: '1m', standardHeaders: true }));
    const names = (await wireHeaderNames(app)).filter((name) => /ratelimit/i.test(name));
    expect(names.sort()).toEqual(
      ['ratelimit', 'ratelimit-policy', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].sort(),
    );
  });

  it('sends names given in the headers option exactly as written', async () => {
    const headers = { total: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' };
    const { app } = makeApp(rateLimit({ max: 5, duration: '1m', headers }));
    const names = (await wireHeaderNames(app)).filter((name) => /ratelimit/i.test(name));
    expect(names.sort()).toEqual(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']);
  });
});
