// Starting the things that get measured: a bench server module in its own pinned process, or nginx.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_CORE } from './config.mjs';
import { cpuSeconds, freePort, killTree, peakRssMb, pinned, resetPeakRss, rssMb, waitForPort } from './procs.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SERVERS_DIR = path.resolve(HERE, '../servers');

function tail(buf, max = 4000) {
  const text = buf.join('');
  return text.length > max ? `...${text.slice(-max)}` : text;
}

function handle({ child, pid, url, name, close }) {
  return {
    name,
    url,
    pid,
    /** Peak RSS (MB) since start or since the last resetPeakRss(). */
    peakRssMb: () => peakRssMb(pid),
    rssMb: () => rssMb(pid),
    /** CPU seconds the serving process has used so far. */
    cpuSeconds: () => cpuSeconds(pid),
    resetPeakRss: () => resetPeakRss(pid),
    alive: () => child.exitCode === null && child.signalCode === null,
    close,
  };
}

/**
 * Starts bench/servers/<file> in a new Node process pinned to the server core, NODE_ENV=production.
 * `options` is what the module's default export receives.
 */
let profileDir = null;
let profiles = 0;
/** `--cpu-prof`: every server process writes a V8 CPU profile into `dir` when it stops. */
export function profileServersInto(dir) {
  profileDir = dir;
}

export async function startNodeServer(file, options) {
  const abs = path.resolve(SERVERS_DIR, file);
  const flags = [];
  if (profileDir) {
    const label = `${file.replace(/\.mjs$/, '')}${Object.keys(options).length ? `-${++profiles}` : ''}`;
    flags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${label}.cpuprofile`);
  }
  const [cmd, args] = pinned(SERVER_CORE, process.execPath, [...flags, path.join(HERE, 'server-host.mjs')]);
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const output = [];
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.send({ file: abs, options });
  const exited = once(child, 'exit').then(() => ({ ok: false, message: `the server process exited early` }));
  const reply = await Promise.race([once(child, 'message').then(([m]) => m), exited]);
  if (!reply.ok) {
    await killTree(child, 'SIGKILL');
    const err = new Error(`server ${file} failed to start: ${reply.message}\n${tail(output)}`);
    err.code = reply.code;
    err.serverMessage = reply.message;
    throw err;
  }
  const url = `http://127.0.0.1:${reply.port}`;
  return {
    ...handle({ child, pid: child.pid, url, name: file, close: () => killTree(child) }),
    output: () => tail(output),
  };
}

/**
 * nginx serving `root` on a free port, one worker, pinned to the server core, with a private
 * temporary config (sendfile on, access log off, keep-alive unlimited). Returns null when nginx is
 * not installed. `peakRssMb()` reads the worker process.
 */
export async function startNginx({ root, workDir }) {
  const port = await freePort();
  const dir = path.join(workDir, `nginx-${port}`);
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  const conf = `
daemon off;
master_process on;
worker_processes 1;
${process.getuid?.() === 0 ? 'user root root;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`;
  const confFile = path.join(dir, 'nginx.conf');
  await writeFile(confFile, conf);
  const [cmd, args] = pinned(SERVER_CORE, 'nginx', ['-p', dir, '-c', confFile, '-e', `${dir}/error.log`]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const output = [];
  child.stderr.on('data', (c) => output.push(c.toString()));
  try {
    await waitForPort(port, 10_000, () => child.exitCode === null);
  } catch (err) {
    await killTree(child, 'SIGKILL');
    throw new Error(`nginx failed to start: ${err.message}\n${tail(output)}`);
  }
  // The worker is the master's child: that is the process that serves (and whose RSS matters).
  const workerPid = await findChild(child.pid);
  return handle({
    child,
    pid: workerPid ?? child.pid,
    url: `http://127.0.0.1:${port}`,
    name: 'nginx',
    close: () => killTree(child, 'SIGTERM'),
  });
}

async function findChild(pid) {
  const { readFile } = await import('node:fs/promises');
  for (let i = 0; i < 40; i++) {
    try {
      const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
      if (kids.length) return Number(kids[0]);
    } catch {
      return null;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}
