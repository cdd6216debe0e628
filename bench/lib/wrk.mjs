// The wrk backend of the load generator: one `wrk -t1` per measurement, pinned to the loader core,
// configured by a generated Lua script whose done() prints a JSON summary line.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOADER_CORE } from './config.mjs';
import { pinned } from './procs.mjs';

function luaString(s) {
  let out = '"';
  for (const byte of Buffer.from(String(s), 'utf8')) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

function script({ method, headers, bodyFile, expectStatus }) {
  const lines = [`wrk.method = ${luaString(method)}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  if (bodyFile)
    lines.push(`do local f = assert(io.open(${luaString(bodyFile)}, "rb")); wrk.body = f:read("*a"); f:close() end`);
  lines.push('local threads = {}', 'function setup(thread) table.insert(threads, thread) end', 'bad = 0');
  if (expectStatus != null) {
    // Counting statuses makes wrk hand every response to Lua: only done when a scenario expects
    // something else than 2xx/3xx.
    lines.push(
      `local want = {${[]
        .concat(expectStatus)
        .map((c) => `[${Number(c)}] = true`)
        .join(', ')}}`,
    );
    lines.push('function response(status, headers, body) if not want[status] then bad = bad + 1 end end');
  }
  lines.push(
    'function done(summary, latency, requests)',
    '  local b = 0',
    '  for _, t in ipairs(threads) do b = b + (t:get("bad") or 0) end',
    '  local e = summary.errors',
    '  io.write(string.format("WRKJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,\\"status\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"timeout\\":%d,\\"bad\\":%d,\\"p50\\":%.3f,\\"p99\\":%.3f}\\n",',
    '    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout, b,',
    '    latency:percentile(50) / 1000, latency:percentile(99) / 1000))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

/** Same result shape as the autocannon worker's. */
export async function measureWithWrk(opts) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'koa-kit-wrk-'));
  try {
    let bodyFile = null;
    if (opts.body != null || opts.bodyB64) {
      bodyFile = path.join(dir, 'body');
      await writeFile(bodyFile, opts.bodyB64 ? Buffer.from(opts.bodyB64, 'base64') : opts.body);
    }
    const lua = path.join(dir, 'script.lua');
    await writeFile(
      lua,
      script({ method: opts.method, headers: opts.headers, bodyFile, expectStatus: opts.expectStatus }),
    );
    const args = [
      '-t1',
      `-c${opts.connections}`,
      `-d${Math.max(1, Math.round(opts.duration))}s`,
      '--timeout',
      '10s',
      '-s',
      lua,
      opts.url,
    ];
    const [cmd, argv] = pinned(LOADER_CORE, 'wrk', args);
    const out = await new Promise((resolve, reject) => {
      const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (c) => {
        text += c;
      });
      child.stderr.on('data', (c) => {
        text += c;
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text.trim()}`)),
      );
    });
    const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
    if (!line) throw new Error(`wrk printed no summary: ${out.trim().slice(0, 500)}`);
    const s = JSON.parse(line.slice(8));
    const seconds = s.duration_us / 1e6;
    const non2xx = opts.expectStatus != null ? s.bad : s.status;
    return {
      requests: s.requests,
      seconds,
      rps: s.requests / seconds,
      bytesPerS: s.bytes / seconds,
      latencyP50: s.p50,
      latencyP99: s.p99,
      errors: s.connect + s.read + s.write,
      timeouts: s.timeout,
      non2xx,
      statusCodes: {},
      expectChecked: opts.expectStatus != null,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
