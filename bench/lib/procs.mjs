// Small process helpers: core pinning, free ports, peak RSS from /proc.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';

function has(cmd, args = ['--version']) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const hasTaskset = has('taskset', ['-c', '0', 'true']);
export const hasCurl = has('curl');
export const hasNginx = has('nginx', ['-v']);
export const hasRedisServer = has('redis-server');
export const hasWrk = has('sh', ['-c', 'command -v wrk']);

let niceness = 0;
/** `--nice`: run servers, the load generator, Redis and curl at this niceness (e.g. -10; needs root). */
export function setNiceness(n) {
  niceness = n;
}

/**
 * `[command, args]` that runs `cmd args` pinned to `core` (unpinned where taskset is missing), and
 * with `nice -n <niceness>` when `--nice` was given. nice and taskset exec: the pid is cmd's.
 */
export function pinned(core, cmd, args = []) {
  let out = [cmd, args];
  if (hasTaskset && core != null) out = ['taskset', ['-c', String(core), cmd, ...args]];
  if (niceness) out = ['nice', ['-n', String(niceness), out[0], ...out[1]]];
  return out;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port, timeoutMs = 10_000, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!isAlive()) throw new Error(`the process meant to listen on port ${port} exited`);
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function statusField(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Peak resident set (VmHWM) of a process in MB (MiB), or null when /proc is not available. */
export const peakRssMb = (pid) => statusField(pid, 'VmHWM');
export const rssMb = (pid) => statusField(pid, 'VmRSS');

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, all threads) a process has used so far, or null. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  } catch {
    return null;
  }
}

/** Resets VmHWM to the current RSS (Linux `clear_refs` 5); false where that is not possible. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function cpuModel() {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch {}
  return 'unknown';
}

export function killTree(child, signal = 'SIGTERM') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {}
    }, 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      child.kill(signal);
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
