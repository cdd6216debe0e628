import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Listening, listen } from '@koa-kit/testing';
import createError from 'http-errors';
import { afterEach, describe, expect, test } from 'vitest';
import { appWith, type TestApp } from './helpers.js';

const run = promisify(execFile);

let server: Listening | undefined;
let current: TestApp | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  current?.appErrors.assertNone();
  current = undefined;
});

async function start(): Promise<string> {
  current = appWith(() => {
    throw createError(403, 'Not <yours>', { code: 'NOT_OWNER' });
  });
  server = await listen(current.app);
  return server.url;
}

/** curl -i: status line, headers and body of one request. */
async function curl(url: string, ...args: string[]) {
  const { stdout } = await run('curl', ['-sS', '-i', '--max-time', '5', ...args, url]);
  const [head, ...rest] = stdout.split('\r\n\r\n');
  const lines = head!.split('\r\n');
  const headers = Object.fromEntries(
    lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(lines[0]!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

describe('real clients', () => {
  test("curl's default Accept (*/*) gets problem+json", async () => {
    const res = await curl(await start());
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(res.body)).toMatchObject({ status: 403, code: 'NOT_OWNER', detail: 'Not <yours>' });
  });

  test('curl asking for HTML gets the escaped page, asking for text gets text', async () => {
    const url = await start();
    const html = await curl(url, '-H', 'Accept: text/html');
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('Not &lt;yours&gt;');
    const text = await curl(url, '-H', 'Accept: text/plain');
    expect(text.body).toBe('Not <yours>');
  });

  test('wget sees the status and the problem body', async () => {
    const url = await start();
    const result = await run('wget', ['-q', '-S', '-O', '-', '--content-on-error', '--tries=1', url]).catch(
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(result.stderr).toMatch(/HTTP\/1\.1 403 Forbidden/);
    expect(JSON.parse(result.stdout).code).toBe('NOT_OWNER');
  });
});
