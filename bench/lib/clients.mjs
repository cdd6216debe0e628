// Clients for throughput scenarios: curl, pinned to the loader core, discarding or streaming bytes.
import { spawn } from 'node:child_process';
import { LOADER_CORE } from './config.mjs';
import { hasCurl, pinned } from './procs.mjs';

function curl(args) {
  if (!hasCurl) return Promise.reject(new Error('curl is not installed (throughput scenarios need it)'));
  const [cmd, argv] = pinned(LOADER_CORE, 'curl', args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`curl exited ${code}: ${err.trim()}`));
      resolve(out);
    });
  });
}

function headerArgs(headers = {}) {
  return Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
}

// The last line of the output is ours (-w); a body written to stdout comes before it.
const WRITE_OUT = '\\n%{http_code} %{size_download} %{size_upload} %{time_total}';

function parse(out, what, url, expectStatus) {
  const lines = out.trimEnd().split('\n');
  const [status, down, up, total] = lines.pop().split(' ').map(Number);
  const body = lines.join('\n');
  const ok = expectStatus ? [].concat(expectStatus).includes(status) : status >= 200 && status < 300;
  if (!ok) throw new Error(`${what} ${url} answered ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
  const bytes = what === 'download' ? down : up;
  return { status, bytes, seconds: total, mbPerS: bytes / total / 1e6, body };
}

/** GET `url` with curl, discarding the body. Returns `{ status, bytes, seconds, mbPerS }`. */
export async function download(url, { headers, expectStatus } = {}) {
  const args = ['-sS', '-o', '/dev/null', '-w', WRITE_OUT, ...headerArgs(headers), url];
  let out = await curl(args);
  // Seen once in a full run against nginx with 8 parallel downloads: curl exited 0 with status 000
  // (no response at all). Retry that once rather than lose the whole comparison; a second 000 fails.
  if (out.trimEnd().split('\n').pop().startsWith('000 ')) out = await curl(args);
  return parse(out, 'download', url, expectStatus);
}

/**
 * Uploads the file at `file` to `url` with curl, streaming it from disk.
 * - `form: { field: 'file', fields?: { name: value } }`: multipart/form-data POST (curl -F).
 * - otherwise the raw bytes as the body (curl -T) with `method` (default PUT).
 * `Expect: 100-continue` is not sent unless `expectContinue: true`.
 * Returns `{ status, bytes, seconds, mbPerS, body }` (body: the response text).
 */
export async function upload(url, file, { method, headers = {}, form, expectContinue = false, expectStatus } = {}) {
  const args = ['-sS', '-w', WRITE_OUT, ...headerArgs(headers)];
  if (!expectContinue) args.push('-H', 'Expect:');
  if (form) {
    for (const [k, v] of Object.entries(form.fields ?? {})) args.push('-F', `${k}=${v}`);
    args.push('-F', `${form.field ?? 'file'}=@${file};type=${form.type ?? 'application/octet-stream'}`);
    if (method) args.push('-X', method);
  } else {
    args.push('-T', file, '-X', method ?? 'PUT');
  }
  args.push(url);
  const out = await curl(args);
  return parse(out, 'upload', url, expectStatus);
}
