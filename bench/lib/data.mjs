// Test files of given sizes, created once and kept between runs (in the OS temp dir, or
// KOA_KIT_BENCH_DATA) so a second run does not write gigabytes again.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const DATA_DIR = process.env.KOA_KIT_BENCH_DATA || path.join(os.tmpdir(), 'koa-kit-bench-data');

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

const inflight = new Map();

/**
 * Makes sure `<dir>/<name>` exists with exactly `size` bytes (incompressible content) and returns
 * its absolute path. Safe to call many times; files of the right size are not rewritten.
 * Server modules may import this too: `import { ensureFile } from '../lib/data.mjs'`.
 */
export function ensureFile(dir, name, size) {
  const file = path.resolve(dir, name);
  if (!file.startsWith(path.resolve(dir) + path.sep)) throw new Error(`file name ${name} leaves the data dir`);
  if (!inflight.has(file)) inflight.set(file, write(file, size));
  return inflight.get(file);
}

async function write(file, size) {
  try {
    if ((await stat(file)).size === size) return file;
  } catch {}
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  const block = randomBytes(Math.min(size, 4 * MiB));
  let left = size;
  while (left > 0) {
    const n = Math.min(left, block.length);
    if (!out.write(n === block.length ? block : block.subarray(0, n))) await once(out, 'drain');
    left -= n;
  }
  out.end();
  await once(out, 'finish');
  await rename(tmp, file);
  return file;
}

/** Human size: 4096 -> "4 KiB". */
export function formatSize(n) {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} B`;
}
