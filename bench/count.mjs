#!/usr/bin/env node
// `node bench/count.mjs "<scenario>" ... [--warmup 30000] [--requests 20000] [--functions 25] [--runs 1]
//   [--no-bare]`
// Instructions per request of HTTP scenarios, counted by valgrind's callgrind (see bench/README.md,
// "Counting instructions"): the scenario's server under callgrind with `node --single-threaded`,
// fed by ONE keep-alive connection from this process, counters zeroed after the warm-up.
// "bare koa" is counted first (unless --no-bare), so every figure has its difference over bare Koa beside it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from './lib/redis.mjs';
import { loadScenarios } from './lib/scenarios.mjs';
import { SERVERS_DIR } from './lib/server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const a = { names: [], warmup: 30_000, requests: 20_000, functions: 0, runs: 1 };
  const num = (v, flag) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--warmup') a.warmup = num(argv[++i], arg);
    else if (arg === '--requests') a.requests = num(argv[++i], arg) || 1;
    else if (arg === '--functions') a.functions = num(argv[++i], arg);
    else if (arg === '--runs') a.runs = num(argv[++i], arg) || 1;
    else if (arg === '--no-bare') a.noBare = true;
    else if (arg.startsWith('--')) throw new Error(`unknown argument ${arg}`);
    else a.names.push(arg);
  }
  return a;
}

/** Sequential keep-alive requests on one socket: resolves when `n` responses are complete. */
function client(port, { method = 'GET', path: p, headers = {} }) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const head = Object.entries({ host: `127.0.0.1:${port}`, ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const request = Buffer.from(`${method} ${p} HTTP/1.1\r\n${head}\r\n`);
  let buffered = Buffer.alloc(0);
  let pending = null;
  const statuses = new Map();
  socket.on('data', (chunk) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      const text = buffered.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      const status = text.slice(9, 12);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      buffered = buffered.subarray(end + 4 + length);
      pending?.();
    }
  });
  const ready = new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    statuses,
    async send(n) {
      await ready;
      for (let i = 0; i < n; i++) {
        await new Promise((resolve, reject) => {
          pending = resolve;
          socket.once('error', reject);
          socket.write(request);
        });
        socket.removeAllListeners('error');
      }
    },
    close: () => socket.destroy(),
  };
}

/** Total Ir of the newest callgrind dump in `dir`. */
function totalOf(dir) {
  const dumps = readdirSync(dir).filter((f) => /^out\.cg\.\d+$/.test(f));
  const last = dumps.sort((x, y) => Number(x.split('.').pop()) - Number(y.split('.').pop())).pop();
  const text = readFileSync(path.join(dir, last), 'utf8');
  const m = /^(?:totals|summary): (\d+)/m.exec(text);
  if (!m) throw new Error(`no totals in ${last}`);
  return { total: Number(m[1]), file: path.join(dir, last) };
}

/** The top `n` functions of a dump by self instructions, JIT addresses named from /tmp/perf-<pid>.map. */
function topFunctions(file, pid, n, requests) {
  const out = spawnSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const total = Number(/^\s*([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/m.exec(out.stdout)?.[1].replace(/,/g, '') ?? 0);
  let map = [];
  try {
    map = readFileSync(`/tmp/perf-${pid}.map`, 'utf8')
      .split('\n')
      .map((l) => /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(l))
      .filter(Boolean)
      .map((m) => [Number.parseInt(m[1], 16), Number.parseInt(m[2], 16), m[3]]);
  } catch {}
  const byName = new Map();
  for (const line of out.stdout.split('\n')) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    // (callgrind_annotate also lists main() and its callers with their inclusive cost: not self time)
    if (!m || m[2].startsWith('PROGRAM TOTALS') || Number(m[1].replace(/,/g, '')) > total / 2) continue;
    let name = m[2].replace(/ \[[^\]]*\]$/, '');
    const addr = /0x([0-9a-f]+)/.exec(name);
    if (addr && name.startsWith('???')) {
      const a = Number.parseInt(addr[1], 16);
      // the latest code object at that address wins (code is moved and recompiled)
      let hit = null;
      for (const [start, size, label] of map) if (a >= start && a < start + size) hit = label;
      name = hit ?? 'JIT code (unmapped)';
    }
    byName.set(name, (byName.get(name) ?? 0) + Number(m[1].replace(/,/g, '')));
  }
  return [...byName.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, n)
    .map(([name, ir]) => ({ name, perRequest: ir / requests }));
}

async function countOne(s, args, redis) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koa-kit-count-'));
  const options = { dataDir: os.tmpdir(), scratchDir: dir, redisUrl: redis?.url ?? null, ...(s.options ?? {}) };
  const node = ['--single-threaded', ...(args.functions ? ['--perf-basic-prof'] : [])];
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all-non-file',
      `--callgrind-out-file=${path.join(dir, 'out.cg')}`,
      process.execPath,
      ...node,
      path.join(HERE, 'lib/count-host.mjs'),
      path.join(SERVERS_DIR, s.server),
      JSON.stringify(options),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  let errText = '';
  child.stderr.on('data', (c) => {
    errText = (errText + c).slice(-4000);
  });
  try {
    const port = await new Promise((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (c) => {
        text += c;
        const m = /PORT (\d+)/.exec(text);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`server exited ${code}: ${errText}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    const req = { method: s.method, path: s.path, headers: { ...(s.headers ?? {}) } };
    if (s.setup) {
      const extra = (await s.setup({ url, fetch, dataDir: options.dataDir })) ?? {};
      Object.assign(req, extra, { headers: { ...req.headers, ...(extra.headers ?? {}) } });
    }
    const c = client(port, req);
    await c.send(args.warmup);
    spawnSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
    await c.send(args.requests);
    spawnSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
    c.close();
    let good = 0;
    for (const [code, v] of c.statuses) {
      const ok = s.expectStatus != null ? [].concat(s.expectStatus).map(String).includes(code) : code.startsWith('2');
      if (ok) good += v;
    }
    if (good !== args.warmup + args.requests)
      throw new Error(`unexpected statuses: ${JSON.stringify(Object.fromEntries(c.statuses))}`);
    const { total, file } = totalOf(dir);
    const functions = args.functions ? topFunctions(file, child.pid, args.functions, args.requests) : [];
    return { perRequest: total / args.requests, functions };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    if (process.env.KOA_KIT_COUNT_KEEP) console.log(`    kept ${dir} and /tmp/perf-${child.pid}.map`);
    else {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (spawnSync('sh', ['-c', 'command -v valgrind']).status !== 0)
    throw new Error('valgrind is not installed (apt-get install -y valgrind)');
  const { scenarios, problems } = await loadScenarios();
  for (const p of problems) console.error(`! ${p}`);
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const names = [...(args.noBare ? [] : ['bare koa']), ...args.names.filter((n) => n !== 'bare koa')];
  for (const n of names) {
    const s = byName.get(n);
    if (!s) throw new Error(`no scenario named "${n}"`);
    if (s.kind !== 'http' || s.server === 'nginx') throw new Error(`"${n}" is not an HTTP scenario of a Node server`);
  }
  const redis = names.some((n) => byName.get(n).requires.includes('redis')) ? await startRedis() : null;
  const results = [];
  try {
    for (const n of names) {
      const counts = [];
      let functions = [];
      for (let r = 0; r < args.runs; r++) {
        const res = await countOne(byName.get(n), args, redis);
        counts.push(res.perRequest);
        functions = res.functions;
      }
      const perRequest = median(counts);
      const bare = results.find((r) => r.name === 'bare koa')?.perRequest ?? perRequest;
      results.push({ name: n, perRequest, counts, overBare: perRequest - bare });
      console.log(
        `${n.padEnd(56)} ${Math.round(perRequest).toLocaleString('en-US').padStart(9)} instr/request` +
          `  ${n === 'bare koa' || args.noBare ? '' : `+${Math.round(perRequest - bare).toLocaleString('en-US')} over bare (${((perRequest / bare - 1) * 100).toFixed(1)} %)`}` +
          `${counts.length > 1 ? `  runs: ${counts.map((c) => Math.round(c)).join(', ')}` : ''}`,
      );
      for (const f of functions)
        console.log(`    ${Math.round(f.perRequest).toLocaleString('en-US').padStart(8)}  ${f.name.slice(0, 140)}`);
    }
  } finally {
    await redis?.close();
  }
  return results;
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});
