import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exec, tail } from './exec.mjs';

/**
 * publint on the unpacked tarball (exactly the published files), at the strictest level: any
 * message at all, suggestions included, is a failure.
 */
export async function runPublint(root, unpackedDir) {
  const started = performance.now();
  const req = createRequire(join(root, 'package.json'));
  const { publint } = await import(pathToFileURL(req.resolve('publint')).href);
  const { formatMessage } = await import(pathToFileURL(req.resolve('publint/utils')).href);
  const { messages, pkg } = await publint({ pkgDir: unpackedDir, pack: false, level: 'suggestion', strict: true });
  const ms = Math.round(performance.now() - started);
  if (messages.length === 0) return { ok: true, ms };
  const detail = messages
    .map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code} [${m.code}]`)
    .join('\n');
  return { ok: false, ms, detail };
}

/** are-the-types-wrong on the tarball (what `attw --pack` does, without packing twice). */
export async function runAttw(root, tarball) {
  const bin = join(root, 'node_modules', '.bin', 'attw');
  const r = await exec(bin, [tarball, '--format', 'ascii', '--no-color', '--no-emoji', '--no-definitely-typed'], {
    cwd: root,
    timeout: 120_000,
  });
  return r.code === 0 ? { ok: true, ms: r.ms } : { ok: false, ms: r.ms, detail: tail(r, 30) };
}
