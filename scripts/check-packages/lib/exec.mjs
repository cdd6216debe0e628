import { spawn } from 'node:child_process';

/**
 * Runs a command to completion and captures its output. Never rejects: the caller reads `code`.
 * A command that outlives `timeout` (ms) is killed with its whole process group (servers included).
 */
export function exec(cmd, args, { cwd, env = process.env, timeout = 120_000 } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeout);
    const done = (code) => {
      clearTimeout(timer);
      const ms = Math.round(performance.now() - started);
      resolve({ code: timedOut ? 124 : code, stdout, stderr, ms, timedOut });
    };
    child.on('error', (err) => {
      stderr += String(err);
      done(127);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** Output of a failed command, trimmed to what a reader needs (npm's config warnings dropped). */
export function tail(result, lines = 40) {
  const text = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter((l) => l.trim() && !/^npm warn Unknown (user|env) config/.test(l))
    .join('\n');
  const all = text.split('\n');
  const head = result.timedOut ? ['(timed out)'] : [];
  return [...head, ...(all.length > lines ? ['...', ...all.slice(-lines)] : all)].join('\n');
}

/** A counting semaphore: `await sem.use(() => work())` runs at most `n` works at once. */
export function semaphore(n) {
  let active = 0;
  const waiting = [];
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  return {
    async use(fn) {
      if (active >= n) await new Promise((r) => waiting.push(r));
      active++;
      try {
        return await fn();
      } finally {
        release();
      }
    },
  };
}

/**
 * The environment for commands that play "a user's machine": everything npm put there when this
 * script runs under `npm run` (prefix, workspace, package fields) is removed, so a child npm can
 * never find its way back to the monorepo; NODE_PATH and NODE_OPTIONS go too. Network and cache
 * settings a CI sets on purpose are kept.
 */
export function userEnv(extra = {}) {
  const keep =
    /^npm_config_(cache|registry|userconfig|globalconfig|proxy|https_proxy|noproxy|no_proxy|strict_ssl|cafile|ca|fetch_[a-z_]+|loglevel)$/i;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !keep.test(k)) continue;
    if (k === 'NODE_PATH' || k === 'NODE_OPTIONS' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, NPM_CONFIG_UPDATE_NOTIFIER: 'false', NPM_CONFIG_FUND: 'false', NPM_CONFIG_AUDIT: 'false', ...extra };
}
