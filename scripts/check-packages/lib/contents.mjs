import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, posix, relative } from 'node:path';

/** What a user needs in a tarball; anything else is a finding. */
const ALLOWED_TOP = new Set(['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'LICENSE.md', 'LICENSE.txt']);
const DIST_FILE = /\.(js|cjs|mjs|d\.ts|d\.cts|d\.mts|map)$/;
const NOT_FOR_USERS =
  /(^|\/)(src|test|tests|__tests__|__snapshots__|fixtures|coverage)\/|\.(test|spec|test-d)\.[cm]?[jt]s$|(^|\/)(tsconfig[^/]*\.json|tsup\.config\.[cm]?[jt]s|vitest\.config\.[cm]?[jt]s|\.tsbuildinfo)$/;

function walk(dir, base = dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, base, out);
    else out.push(relative(base, full).split('\\').join('/'));
  }
  return out;
}

/** The npm package name a bare specifier belongs to (`@scope/name/sub` -> `@scope/name`). */
export function packageNameOf(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const JS_IMPORTS = [
  /\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
  /\bimport\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
  /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"']+)["']/gm,
  /^\s*import\s*["']([^"']+)["']/gm,
];
const DTS_IMPORTS = [
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"']+)["']/gm,
  /^\s*import\s*["']([^"']+)["']/gm,
  /^\s*declare\s+module\s+["']([^"']+)["']/gm,
  /\/\/\/\s*<reference\s+types\s*=\s*["']([^"']+)["']/g,
];

function specifiers(text, patterns) {
  const found = new Set();
  for (const re of patterns) for (const m of text.matchAll(re)) found.add(m[1]);
  return [...found].filter((s) => !s.startsWith('.') && !s.startsWith('/') && !isBuiltin(s));
}

/**
 * Checks an unpacked tarball (`dir` holds package.json): its file list and the bare imports of
 * every built file against the dependencies it declares. Returns { errors: [], warnings: [] }.
 */
export function inspectUnpacked(dir) {
  const errors = [];
  const warnings = [];
  const files = walk(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const set = new Set(files);

  for (const f of files) {
    if (NOT_FOR_USERS.test(f)) errors.push(`ships ${f}: not something a user needs`);
    else if (f.startsWith('dist/')) {
      if (!DIST_FILE.test(f)) errors.push(`ships ${f}: unexpected file type in dist/`);
    } else if (!ALLOWED_TOP.has(f))
      errors.push(`ships ${f}: only dist/, README, CHANGELOG, LICENSE and package.json belong in the tarball`);
  }
  if (!set.has('README.md')) errors.push('no README.md in the tarball (npm shows it as the package page)');
  if (pkg.license && !files.some((f) => /^LICEN[CS]E(\.(md|txt))?$/i.test(f)))
    warnings.push(`no LICENSE file in the tarball, though package.json says "${pkg.license}"`);
  else if (statSync(join(dir, 'README.md')).size < 200) errors.push('README.md is nearly empty');

  // Source maps: each must be in the tarball, and point at sources that are in the tarball too.
  for (const f of files.filter((x) => /\.[cm]?js$/.test(x))) {
    const text = readFileSync(join(dir, f), 'utf8');
    const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text);
    if (m && !m[1].startsWith('data:')) {
      const mapPath = posix.join(posix.dirname(f), m[1]);
      if (!set.has(mapPath)) errors.push(`${f} points at ${m[1]}, which is not in the tarball`);
    }
  }
  for (const f of files.filter((x) => x.endsWith('.map'))) {
    let map;
    try {
      map = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch {
      errors.push(`${f} is not valid JSON`);
      continue;
    }
    const root = map.sourceRoot ?? '';
    const missing = (map.sources ?? []).filter(
      (s, i) => !map.sourcesContent?.[i] && !set.has(posix.normalize(posix.join(posix.dirname(f), root, s))),
    );
    if (missing.length) errors.push(`${f} maps to sources not in the tarball: ${missing.slice(0, 3).join(', ')}`);
  }

  // Every bare import of the built code must be declared; nothing may import another kit package.
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  const optionalDeps = new Set(Object.keys(pkg.optionalDependencies ?? {}));
  const peers = new Set(Object.keys(pkg.peerDependencies ?? {}));
  const optionalPeers = new Set(
    Object.entries(pkg.peerDependenciesMeta ?? {})
      .filter(([, v]) => v?.optional)
      .map(([k]) => k),
  );
  const used = new Set();
  for (const f of files.filter((x) => /^dist\/.*\.[cm]?js$/.test(x))) {
    const text = readFileSync(join(dir, f), 'utf8');
    // The bundler inlines a package it was not told is a dependency: the usual face of a missing one.
    const inlined = new Set([...text.matchAll(/node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\//g)].map((m) => m[1]));
    if (inlined.size)
      errors.push(
        `${f} bundles code from node_modules (${[...inlined].sort().join(', ')}): declare what it imports in dependencies`,
      );
    for (const spec of specifiers(text, JS_IMPORTS)) {
      const name = packageNameOf(spec);
      used.add(name);
      if (name.startsWith('@koa-kit/')) errors.push(`${f} imports ${spec}: no package may import another kit package`);
      else if (!deps.has(name) && !peers.has(name) && !optionalDeps.has(name))
        errors.push(`${f} imports "${spec}" but "${name}" is not in dependencies or peerDependencies`);
    }
  }
  for (const f of files.filter((x) => /^dist\/.*\.d\.[cm]?ts$/.test(x))) {
    for (const spec of specifiers(readFileSync(join(dir, f), 'utf8'), DTS_IMPORTS)) {
      const name = packageNameOf(spec);
      const typesName = name.startsWith('@') ? `@types/${name.slice(1).replace('/', '__')}` : `@types/${name}`;
      used.add(name);
      used.add(typesName);
      if (name.startsWith('@koa-kit/'))
        errors.push(`${f} references ${spec}: no package may depend on another kit package`);
      else if (optionalPeers.has(name))
        errors.push(`${f} references "${spec}", an optional peer: users without it get a type error`);
      else if (!deps.has(name) && !peers.has(name) && !deps.has(typesName))
        errors.push(`${f} references "${spec}" but neither "${name}" nor "${typesName}" is a dependency or peer`);
    }
  }
  // internal/common is bundled into every build (tsup noExternal): not even a string may name it.
  for (const f of files.filter((x) => x.startsWith('dist/'))) {
    if (/@koa-kit\/common\b/.test(readFileSync(join(dir, f), 'utf8')))
      errors.push(`${f} names @koa-kit/common: it must be bundled into the build, never imported (tsup.base.ts)`);
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'])
    if (pkg[field]?.['@koa-kit/common'])
      errors.push(`package.json lists @koa-kit/common in ${field}: it is never published`);
  for (const d of deps) if (!used.has(d)) warnings.push(`dependency "${d}" is never imported by dist/`);
  return { errors, warnings, files, pkg };
}
