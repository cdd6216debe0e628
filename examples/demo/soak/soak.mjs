// npm run soak: steady load on the demo's routes (logins, session reads and writes, API reads,
// multipart and tus uploads, whole and ranged downloads, static assets) for SOAK_SECONDS, then
// compares the server's memory after a forced GC with its value after the warm-up.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tus from 'tus-js-client';

const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? 60);
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 16);
const TOLERANCE = Number(process.env.SOAK_TOLERANCE ?? 0.05);
/** Routes to leave out, comma-separated (e.g. `login,tus-upload`), to find which one holds memory. */
const SKIP = new Set((process.env.SOAK_SKIP ?? '').split(',').filter(Boolean));

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = await mkdtemp(path.join(tmpdir(), 'koa-kit-soak-'));
const child = fork(path.join(here, 'server.ts'), [], {
  execArgv: ['--expose-gc', '--import', 'tsx'],
  env: { ...process.env, SOAK_DATA_DIR: dataDir, NODE_ENV: 'production' },
});
const appErrors = [];
child.on('message', (m) => m.type === 'app-error' && appErrors.push(m.message));
const [{ port }] = await once(child, 'message');
const base = `http://127.0.0.1:${port}`;

function ask(type) {
  return new Promise((resolve) => {
    const onMessage = (m) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

const basic = `Basic ${Buffer.from('demo:demo-password').toString('base64')}`;
async function login() {
  const res = await fetch(`${base}/api/login?token=1`, { method: 'POST', headers: { authorization: basic } });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { token: (await res.json()).data.token, cookie };
}

const download = randomBytes(2 * 1024 * 1024);
// Files are stored per user under random ids: the download target is uploaded, not written in place.
const soakId = await (async () => {
  const seed = await login();
  const form = new FormData();
  form.append('file', new Blob([download]), 'soak.bin');
  const res = await fetch(`${base}/api/form-uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${seed.token}` },
    body: form,
  });
  return (await res.json()).data.id;
})();
const small = randomBytes(64 * 1024);
const counts = new Map();
let failures = 0;

async function hit(name, url, init) {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  counts.set(name, (counts.get(name) ?? 0) + 1);
  if (res.status >= 500) failures += 1;
  return res;
}

function tusUpload(auth, bytes) {
  return new Promise((resolve, reject) => {
    new tus.Upload(bytes, {
      endpoint: `${base}/api/uploads`,
      headers: { Authorization: `Bearer ${auth.token}` },
      metadata: { filename: `tus-${Math.random().toString(36).slice(2)}.bin` },
      chunkSize: 256 * 1024,
      onError: reject,
      onSuccess: resolve,
    }).start();
  });
}

const ROUTES = ['login', 'visits', 'me', 'files', 'form-upload', 'tus-upload', 'range', 'download', 'not-found'];

async function worker(id, until) {
  const auth = await login();
  const bearer = { authorization: `Bearer ${auth.token}`, cookie: auth.cookie };
  let n = 0;
  while (Date.now() < until) {
    n += 1;
    const kind = (id + n) % 9;
    if (SKIP.has(ROUTES[kind])) continue;
    switch (kind) {
      case 0:
        Object.assign(auth, await login());
        bearer.authorization = `Bearer ${auth.token}`;
        bearer.cookie = auth.cookie;
        counts.set('login', (counts.get('login') ?? 0) + 1);
        break;
      case 1:
        await hit('visits', `${base}/api/visits`, { method: 'POST', headers: bearer });
        break;
      case 2:
        await hit('me', `${base}/api/me`, { headers: bearer });
        break;
      case 3:
        await hit('files', `${base}/api/files`, { headers: bearer });
        break;
      case 4: {
        const form = new FormData();
        form.append('file', new Blob([small]), `form-${id}-${n}.bin`);
        await hit('form-upload', `${base}/api/form-uploads`, { method: 'POST', headers: bearer, body: form });
        break;
      }
      case 5:
        if (n % 4 === 1) {
          await tusUpload(auth, small);
          counts.set('tus-upload', (counts.get('tus-upload') ?? 0) + 1);
        } else await hit('asset', `${base}/assets/app.js`);
        break;
      case 6:
        await hit('range', `${base}/downloads/${soakId}`, {
          headers: { cookie: auth.cookie, range: 'bytes=1000-200999' },
        });
        break;
      case 7:
        await hit('download', `${base}/downloads/${soakId}`, { headers: { cookie: auth.cookie } });
        break;
      default:
        await hit('not-found', `${base}/nothing/${n}`);
    }
  }
}

/** Uploaded files are deleted as they arrive, so the disk stays flat too. */
async function sweepUploads(until) {
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1000));
    for (const name of await readdir(path.join(dataDir, 'files'), { recursive: true })) {
      if (!name.includes(soakId)) await unlink(path.join(dataDir, 'files', name)).catch(() => {});
    }
  }
}

async function phase(seconds) {
  const until = Date.now() + seconds * 1000;
  await Promise.all([...Array.from({ length: WORKERS }, (_, i) => worker(i, until)), sweepUploads(until)]);
}

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
console.log(`soak: warm-up ${WARMUP_SECONDS}s, load ${SOAK_SECONDS}s, ${WORKERS} clients`);
await phase(WARMUP_SECONDS);
await new Promise((r) => setTimeout(r, 1000));
const warm = await ask('memory');
const started = Date.now();
await phase(SOAK_SECONDS);
await new Promise((r) => setTimeout(r, 1000));
const end = await ask('memory');
child.send({ type: 'stop' });
await rm(dataDir, { recursive: true, force: true });

const total = [...counts.values()].reduce((a, b) => a + b, 0);
const rows = [
  ['heap used', warm.heapUsed, end.heapUsed],
  ['rss', warm.rss, end.rss],
  ['external', warm.external, end.external],
];
console.log(
  `requests: ${total} in ${((Date.now() - started) / 1000).toFixed(0)}s of load (+ warm-up): ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}`,
);
console.log('| memory after forced GC | after warm-up (MB) | after soak (MB) | change |');
console.log('| --- | --- | --- | --- |');
for (const [name, a, b] of rows)
  console.log(`| ${name} | ${mb(a)} | ${mb(b)} | ${(((b - a) / a) * 100).toFixed(1)}% |`);
const heapGrowth = (end.heapUsed - warm.heapUsed) / warm.heapUsed;
const ok = heapGrowth <= TOLERANCE && failures === 0 && appErrors.length === 0;
console.log(`5xx answers: ${failures}; app errors: ${appErrors.length}${appErrors.length ? ` (${appErrors[0]})` : ''}`);
console.log(ok ? `PASS: heap within ${TOLERANCE * 100}% of its warm value` : 'FAIL');
process.exit(ok ? 0 : 1);
