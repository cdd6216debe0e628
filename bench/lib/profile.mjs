// Summarises a V8 .cpuprofile: the functions with the most self time, and where they live.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function where(frame) {
  let url = frame.url || '(native)';
  url = url.replace(/^file:\/\//, '');
  if (url.startsWith(ROOT)) url = path.relative(ROOT, url);
  url = url.replace(/^.*node_modules\//, '');
  return `${url}:${frame.lineNumber + 1}`;
}

/** Top `n` functions by self time: `[{ name, where, selfMs, share }]`. */
export function topSelf(file, n = 15) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const deltas = prof.timeDeltas ?? [];
  const sampleMs = new Map();
  prof.samples?.forEach((id, i) => {
    sampleMs.set(id, (sampleMs.get(id) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const byFn = new Map();
  let total = 0;
  for (const node of prof.nodes) {
    const ms = sampleMs.get(node.id) ?? 0;
    if (!ms) continue;
    const f = node.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    total += ms;
    const key = `${f.functionName || '(anonymous)'} ${where(f)}`;
    const e = byFn.get(key) ?? { name: f.functionName || '(anonymous)', where: where(f), selfMs: 0 };
    e.selfMs += ms;
    byFn.set(key, e);
  }
  return [...byFn.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, n)
    .map((e) => ({ ...e, share: total ? e.selfMs / total : 0 }));
}

function packageOf(url) {
  if (!url) return '(native, GC)';
  if (url.startsWith('node:')) return 'node core';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const pkg = u.match(/\/packages\/([^/]+)\//);
  if (pkg) return `@koa-kit/${pkg[1]}`;
  if (u.startsWith(ROOT)) return path.relative(ROOT, u);
  return u;
}

/** Self time grouped by package (node core, koa, @koa-kit/session, ...): `[{ name, share }]`. */
export function byPackage(file, n = 12) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const deltas = prof.timeDeltas ?? [];
  const nodes = new Map(prof.nodes.map((x) => [x.id, x]));
  const ms = new Map();
  let total = 0;
  prof.samples?.forEach((id, i) => {
    const f = nodes.get(id)?.callFrame;
    if (!f || f.functionName === '(idle)' || f.functionName === '(program)') return;
    const d = (deltas[i] ?? 0) / 1000;
    const key = packageOf(f.url);
    ms.set(key, (ms.get(key) ?? 0) + d);
    total += d;
  });
  return [...ms]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, v]) => ({ name, share: total ? v / total : 0 }));
}

/** `node bench/lib/profile.mjs <file.cpuprofile> [n]` prints the summary. */
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  console.log(
    byPackage(process.argv[2])
      .map((e) => `${e.name} ${(e.share * 100).toFixed(1)}%`)
      .join(', '),
  );
  for (const e of topSelf(process.argv[2], Number(process.argv[3] ?? 25))) {
    console.log(
      `${(e.share * 100).toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(0).padStart(6)} ms  ${e.name}  ${e.where}`,
    );
  }
}
