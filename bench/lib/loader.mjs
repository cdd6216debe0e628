// One long-lived autocannon process on the loader core; `measure()` sends it one job at a time.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONNECTIONS, LOADER_CORE, PIPELINING } from './config.mjs';
import { hasWrk, killTree, pinned } from './procs.mjs';
import { measureWithWrk } from './wrk.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * The load generator. `kind`: 'wrk' (C, one thread; used when installed: it keeps up with nginx
 * and with 1 MiB bodies, which autocannon cannot on one core) or 'autocannon' (from npm, always
 * there; its programmatic API runs in one long-lived child process).
 */
export class Loader {
  #child;
  kind;

  constructor(kind = hasWrk ? 'wrk' : 'autocannon') {
    this.kind = kind;
  }

  #next = 1;
  #pending = new Map();

  start() {
    if (this.kind === 'wrk') return this;
    const [cmd, args] = pinned(LOADER_CORE, process.execPath, [path.join(HERE, 'loader-worker.mjs')]);
    this.#child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', ({ id, result, error }) => {
      const p = this.#pending.get(id);
      if (!p) return;
      this.#pending.delete(id);
      if (error) p.reject(new Error(`autocannon: ${error}`));
      else p.resolve(result);
    });
    this.#child.on('exit', (code) => {
      for (const p of this.#pending.values()) p.reject(new Error(`the autocannon process exited (${code})`));
      this.#pending.clear();
    });
    return this;
  }

  /** Drives `url + path` for `durationS` seconds; returns requests/s and the status breakdown. */
  measure({ url, scenario, durationS }) {
    const opts = {
      url: url + scenario.path,
      method: scenario.method ?? 'GET',
      headers: scenario.headers ?? {},
      body: scenario.body,
      connections: scenario.connections ?? CONNECTIONS,
      pipelining: scenario.pipelining ?? PIPELINING,
      duration: durationS,
    };
    if (Buffer.isBuffer(opts.body)) {
      opts.bodyB64 = opts.body.toString('base64'); // IPC is JSON: send bytes as base64
      opts.body = undefined;
    } else if (opts.body && typeof opts.body !== 'string') {
      opts.body = JSON.stringify(opts.body);
      if (!Object.keys(opts.headers).some((h) => h.toLowerCase() === 'content-type')) {
        opts.headers = { ...opts.headers, 'content-type': 'application/json' };
      }
    }
    if (this.kind === 'wrk') return measureWithWrk({ ...opts, expectStatus: scenario.expectStatus });
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, opts });
    });
  }

  close() {
    if (!this.#child) return Promise.resolve();
    return killTree(this.#child);
  }
}
