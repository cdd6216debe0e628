import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import type { Listening } from '@koa-kit/testing';

export interface CurlResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Runs curl, returns the final response (status, lower-cased headers, body). */
export function curl(args: string[], options: { cwd?: string } = {}): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      ['-sS', '-D', '-', ...args],
      { cwd: options.cwd, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout) => {
        if (err && !stdout) return reject(err);
        // Skip interim responses (100 Continue).
        const blocks = stdout.split(/\r\n\r\n/);
        let i = 0;
        while (i < blocks.length - 1 && /^HTTP\/1\.1 1\d\d/.test(blocks[i]!)) i += 1;
        const head = blocks[i]!.split('\r\n');
        const status = Number(head[0]!.split(' ')[1]);
        const headers: Record<string, string> = {};
        for (const line of head.slice(1)) {
          const at = line.indexOf(':');
          if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
        }
        resolve({ status, headers, body: blocks.slice(i + 1).join('\r\n\r\n') });
      },
    );
  });
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => hash.update(c))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Polls until the folder is empty (files are removed asynchronously after a failure) or time runs out. */
export async function waitEmpty(dir: string, ms = 2000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await readdir(dir);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One raw keep-alive connection: write bytes, read the first response head, see whether the server closes. */
export async function rawExchange(server: Listening, head: string, body: Buffer) {
  const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let received = '';
  let closed = false;
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  const ended = new Promise<void>((resolve) => {
    socket.once('close', () => {
      closed = true;
      resolve();
    });
  });
  socket.on('error', () => {});
  socket.write(head);
  socket.write(body);
  const deadline = Date.now() + 3000;
  while (!received.includes('\r\n\r\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await Promise.race([ended, new Promise((r) => setTimeout(r, 1500))]);
  socket.destroy();
  const [statusLine, ...lines] = received.split('\r\n\r\n', 1)[0]!.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, closed };
}
