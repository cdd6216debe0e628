// The harness builds nothing: it checks that every @koa-kit package a bench server imports is built.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IMPORT = /(?:from\s*|import\s*\(\s*)['"]@koa-kit\/([a-z0-9-]+)['"]/g;

export function kitImports(file) {
  const text = readFileSync(file, 'utf8');
  return [...new Set([...text.matchAll(IMPORT)].map((m) => m[1]))];
}

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Returns `{ missing: [pkg], stale: [pkg] }` for the packages imported by `files`.
 * missing: no packages/<pkg>/dist/index.js; stale: a source file is newer than the build.
 */
export function checkDists(files) {
  const pkgs = new Set(files.filter((f) => existsSync(f)).flatMap(kitImports));
  const missing = [];
  const stale = [];
  for (const pkg of pkgs) {
    const dir = path.join(ROOT, 'packages', pkg);
    const dist = path.join(dir, 'dist', 'index.js');
    if (!existsSync(dist)) {
      missing.push(pkg);
      continue;
    }
    const src = path.join(dir, 'src');
    if (existsSync(src) && newest(src) > statSync(dist).mtimeMs) stale.push(pkg);
  }
  return { missing: missing.sort(), stale: stale.sort() };
}
