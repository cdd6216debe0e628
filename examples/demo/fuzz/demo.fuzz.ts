import { mkdir, readdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { collectAppErrors, type Listening, listen, type RawResponse, rawRequest, tempDir } from '@koa-kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDemo } from '../src/app.js';
import {
  type FuzzContext,
  fuzzBody,
  fuzzHeaders,
  fuzzPath,
  METHODS,
  pick,
  STANDARD_METHODS,
  seeded,
} from './generators.js';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const REQUEST_TIMEOUT_MS = 10_000;

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  bodyLength: number;
}
type Answer = RawResponse;

let parent: Awaited<ReturnType<typeof tempDir>>;
let dataDir: string;
let server: Listening;
let appErrors: ReturnType<typeof collectAppErrors>;
const crashes: unknown[] = [];
const onCrash = (err: unknown) => crashes.push(err);

function send(base: string, req: Sent, body: Buffer | undefined): Promise<Answer> {
  // Percent-encode what no client may put raw in a request-target (non-ASCII, spaces); the rest,
  // `%zz` and `..` included, goes out exactly as generated.
  const target = req.path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  return rawRequest(base, target, { method: req.method, headers: req.headers, body, timeoutMs: REQUEST_TIMEOUT_MS });
}

/** Starts a request with a body it never finishes, then drops the connection. */
function abortMidBody(port: number, target: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const head = Object.entries({ ...headers, host: '127.0.0.1', 'content-length': '500000' })
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n');
      socket.write(`POST ${target} HTTP/1.1\r\n${head}\r\n\r\n`);
      socket.write('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n');
      socket.write(Buffer.alloc(20_000, 7));
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 30);
    });
    socket.on('error', () => resolve());
  });
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

function leaks(text: string): string | undefined {
  const needles = [parent.path, process.cwd(), '/work/', 'node_modules', '/tmp/'];
  const found = needles.find((n) => text.includes(n));
  if (found) return `a file-system path (${found})`;
  if (/\n\s+at .+:\d+:\d+/.test(text) || /"stack"\s*:/.test(text)) return 'a stack trace';
  return undefined;
}

function wellFormedError(answer: Answer, req: Sent): string | undefined {
  if (req.method === 'HEAD' || answer.body.length === 0) return undefined;
  const type = String(answer.headers['content-type'] ?? '');
  // Outside /api, errors are negotiated (an HTML page for a browser, text for `Accept: text/plain`);
  // leaks() still checks those bodies.
  if (/^text\/(html|plain)/.test(type) && !/^\/api(\/|\?|$)/.test(req.path)) return undefined;
  if (!/json/.test(type)) return `an error body that is not JSON (${type})`;
  let parsed: any;
  try {
    parsed = JSON.parse(answer.body.toString('utf8'));
  } catch {
    return 'an error body that does not parse as JSON';
  }
  const isEnvelope = typeof parsed?.code === 'number' && typeof parsed?.message === 'string' && parsed?.data === null;
  const isProblem = typeof parsed?.status === 'number' && typeof parsed?.title === 'string';
  if (!isEnvelope && !isProblem)
    return `an error body that is neither an envelope nor a problem: ${answer.body.toString().slice(0, 200)}`;
  return undefined;
}

beforeAll(async () => {
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  parent = await tempDir('koa-kit-fuzz-');
  dataDir = path.join(parent.path, 'data');
  const app = await createDemo({ dataDir, apiRateLimit: 1_000_000 });
  appErrors = collectAppErrors(app);
  server = await listen(app);
  await mkdir(path.join(dataDir, 'files'), { recursive: true });
  await writeFile(path.join(dataDir, 'files', 'fuzz.bin'), Buffer.alloc(10_000, 1));
});

afterAll(async () => {
  process.off('unhandledRejection', onCrash);
  process.off('uncaughtException', onCrash);
  await server?.close();
  await parent?.remove();
});

it(
  `survives ${SECONDS}s of seeded hostile requests (seed ${SEED})`,
  async () => {
    const login = await send(
      server.url,
      {
        method: 'POST',
        path: '/api/login?token=1',
        headers: { authorization: `Basic ${Buffer.from('demo:demo-password').toString('base64')}` },
        bodyLength: 0,
      },
      undefined,
    );
    expect(login.status).toBe(200);
    const known: FuzzContext = {
      token: JSON.parse(login.body.toString()).data.token,
      cookie: [login.headers['set-cookie'] ?? []]
        .flat()
        .map((c) => c.split(';')[0])
        .join('; '),
    };

    const rnd = seeded(SEED);
    const deadline = Date.now() + SECONDS * 1000;
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let count = 0;
    while (Date.now() < deadline && failures.length < 10) {
      count += 1;
      const headers = fuzzHeaders(rnd, known);
      const req: Sent = { method: pick(rnd, METHODS), path: fuzzPath(rnd), headers, bodyLength: 0 };
      if (rnd() < 0.03) {
        await abortMidBody(server.port, pick(rnd, ['/api/form-uploads', '/api/uploads']), {
          authorization: `Bearer ${known.token}`,
          'content-type': 'multipart/form-data; boundary=XyZ',
        });
        continue;
      }
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : fuzzBody(rnd, headers['content-type']);
      req.bodyLength = body?.length ?? 0;
      let answer: Answer;
      try {
        answer = await send(server.url, req, body);
      } catch (err) {
        const message = (err as Error).message;
        // Node's client refuses some generated header values before sending: not the server's fault.
        if (/Invalid character|ERR_INVALID_CHAR|Invalid value/.test(message)) continue;
        // The server may close a connection on a request it refused before reading its body.
        if (/socket hang up|ECONNRESET|EPIPE/.test(message) && req.bodyLength > 0) continue;
        failures.push(`#${count} ${req.method} ${req.path}: ${message} ${JSON.stringify(req.headers)}`);
        continue;
      }
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const text = answer.body.toString('utf8');
      const problems = [
        answer.status >= 500 && !(answer.status === 501 && !STANDARD_METHODS.has(req.method))
          ? `status ${answer.status}`
          : undefined,
        leaks(text) ?? leaks(JSON.stringify(answer.headers)),
        answer.status >= 400 ? wellFormedError(answer, req) : undefined,
      ].filter(Boolean);
      if (problems.length > 0) {
        failures.push(
          `#${count} ${req.method} ${req.path} -> ${answer.status}: ${problems.join('; ')}\n  request headers ${JSON.stringify(req.headers)}\n  body ${text.slice(0, 300)}`,
        );
      }
    }

    const histogram = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
    console.log(`fuzz: ${count} requests in ${SECONDS}s, seed ${SEED}; statuses ${histogram}`);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(crashes).toEqual([]);

    // 501 for a method nothing implements is the right answer, and errors() emits every 5xx.
    const serverErrors = appErrors.take().filter((err) => {
      const status = (err as { status?: number }).status ?? 500;
      return status >= 500 && status !== 501;
    });
    expect(serverErrors.map(String)).toEqual([]);

    // Nothing outside the data folder; nothing left behind by refused or cut multipart uploads.
    await new Promise((r) => setTimeout(r, 300));
    const written = await listTree(parent.path);
    expect(written.filter((file) => !file.startsWith(`${dataDir}${path.sep}`))).toEqual([]);
    expect(await readdir(path.join(dataDir, 'incoming'))).toEqual([]);
  },
  SECONDS * 1000 + 60_000,
);
