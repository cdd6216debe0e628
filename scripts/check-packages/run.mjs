#!/usr/bin/env node
// `npm run check:packages [-- <folder>...] [--rebuild | --no-build] [--keep] [--concurrency N]`
//
// Every package as a user gets it: build, `npm pack`, inspect the tarball, publint and
// are-the-types-wrong on it, then install it (plus koa, and only what it declares) into a fresh
// app outside the repository, where an ESM app and a CommonJS app serve real requests with it and
// a TypeScript app that uses it type-checks under NodeNext and Bundler without skipLibCheck.
// With every package: the type matrix (lib/matrix.mjs) compiles all the TypeScript user apps
// against @types/node 20, 22, 24 and the newest, TypeScript 5.9 and the newest, with and without
// @types/koa-session, as an .mts and a .cts file in one program (NodeNext) and under Bundler.
// Prints a summary table and exits 1 if anything failed. See CONTRIBUTING.md.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkIsolation,
  createApp,
  createTogetherApp,
  installApp,
  runApps,
  TS_STEPS,
  typecheckApp,
  typecheckTogether,
  userAppOf,
} from './lib/app.mjs';
import { inspectUnpacked } from './lib/contents.mjs';
import { exec, semaphore, tail } from './lib/exec.mjs';
import { runAttw, runPublint } from './lib/lint.mjs';
import { MATRIX_COLUMNS, typeMatrix } from './lib/matrix.mjs';
import { kb, table } from './lib/table.mjs';

const root = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
const STEPS = ['build', 'pack', 'contents', 'publint', 'attw', 'install', 'esm', 'cjs', ...TS_STEPS];

function parseArgs(argv) {
  const opts = { build: 'stale', keep: false, concurrency: Math.min(6, availableParallelism() + 2), only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') opts.build = 'never';
    else if (a === '--rebuild') opts.build = 'always';
    else if (a === '--keep') opts.keep = true;
    else if (a === '--concurrency') opts.concurrency = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: node scripts/check-packages/run.mjs [<folder>...] [--rebuild | --no-build] [--keep] [--concurrency N]\n' +
          '  builds a package unless its dist/ is newer than its sources (--rebuild: always, --no-build: never)',
      );
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else opts.only.push(a.replace(/^@koa-kit\//, '').replace(/^packages\//, ''));
  }
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)
    throw new Error('--concurrency must be a positive integer');
  return opts;
}

function discoverPackages(only) {
  const dir = join(root, 'packages');
  const all = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'package.json')))
    .map((d) => ({
      folder: d.name,
      dir: join(dir, d.name),
      pkg: JSON.parse(readFileSync(join(dir, d.name, 'package.json'), 'utf8')),
    }))
    .filter((p) => !p.pkg.private);
  const unknown = only.filter((o) => !all.some((p) => p.folder === o));
  if (unknown.length) throw new Error(`no such package: ${unknown.join(', ')}`);
  return only.length ? all.filter((p) => only.includes(p.folder)) : all;
}

/** The temp apps must not be able to resolve anything from a parent folder (or the repository). */
function checkTempLocation(tempRoot) {
  if (!relative(root, tempRoot).startsWith('..')) throw new Error(`temp folder ${tempRoot} is inside the repository`);
  for (let d = dirname(tempRoot); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules')))
      throw new Error(`${join(d, 'node_modules')} exists: the temp apps would resolve modules from it`);
    if (dirname(d) === d) break;
  }
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  // The folder's own mtime too: a deleted source file changes nothing else.
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

/** dist/ holds the four built entry files and is newer than everything the build reads. */
function distIsFresh(dir) {
  const built = ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'].map((f) => join(dir, 'dist', f));
  if (!built.every((f) => existsSync(f))) return false;
  const oldestBuilt = Math.min(...built.map((f) => statSync(f).mtimeMs));
  const inputs = ['src', 'package.json', 'tsup.config.ts', 'tsconfig.json'].map((f) => join(dir, f));
  // internal/common is bundled into every package: a change there makes every dist/ stale.
  inputs.push(join(root, 'tsup.base.ts'), join(root, 'tsconfig.base.json'), join(root, 'internal', 'common', 'src'));
  return Math.max(...inputs.map(newestMtime)) < oldestBuilt;
}

async function checkPackage(p, ctx) {
  const { tempRoot, opts, cpu, versions, tscBin } = ctx;
  const res = Object.fromEntries(STEPS.map((s) => [s, { status: 'skip' }]));
  const started = performance.now();
  const set = (step, r) => {
    res[step] = r.ok ? { status: 'ok', ms: r.ms } : { status: 'FAIL', ms: r.ms, detail: r.detail };
    return r.ok;
  };
  const out = { p, res, size: '', warnings: [] };
  const finish = () => {
    out.ms = Math.round(performance.now() - started);
    ctx.progress(out);
    return out;
  };

  if (opts.build === 'always' || (opts.build === 'stale' && !distIsFresh(p.dir))) {
    const r = await cpu.use(() => exec('npm', ['run', 'build', '-w', p.pkg.name], { cwd: root, timeout: 180_000 }));
    if (!set('build', r.code === 0 ? { ok: true, ms: r.ms } : { ok: false, ms: r.ms, detail: tail(r) }))
      return finish();
  } else res.build = { status: opts.build === 'never' ? '-' : 'fresh' };

  const tarballs = join(tempRoot, 'tarballs');
  const r = await exec('npm', ['pack', '--json', '--pack-destination', tarballs, '-w', p.pkg.name], { cwd: root });
  let packed;
  try {
    packed = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0];
  } catch {}
  if (!set('pack', r.code === 0 && packed ? { ok: true, ms: r.ms } : { ok: false, ms: r.ms, detail: tail(r) }))
    return finish();
  const tarball = join(tarballs, packed.filename);
  out.tarball = tarball;
  out.size = `${kb(packed.size)} (${kb(packed.unpackedSize)}, ${packed.entryCount} files)`;

  const unpacked = join(tempRoot, 'unpacked', p.folder);
  mkdirSync(unpacked, { recursive: true });
  const untar = await exec('tar', ['-xzf', tarball, '-C', unpacked]);
  const pkgDir = join(unpacked, 'package');
  if (untar.code !== 0) {
    set('contents', { ok: false, detail: tail(untar) });
    return finish();
  }
  const inspected = inspectUnpacked(pkgDir);
  out.warnings = inspected.warnings;
  set('contents', { ok: inspected.errors.length === 0, detail: inspected.errors.join('\n') });

  const lints = Promise.all([
    cpu.use(() => runPublint(root, pkgDir)).then((x) => set('publint', x)),
    cpu.use(() => runAttw(root, tarball)).then((x) => set('attw', x)),
  ]);

  const user = userAppOf(p.folder);
  out.user = user;
  const appDir = join(tempRoot, 'apps', p.folder);
  createApp({ appDir, tarball, pkg: inspected.pkg, versions, extraDependencies: user.scenario?.dependencies });
  const installed = await installApp(appDir);
  if (installed.ok) {
    const leak = checkIsolation(appDir, p.pkg.name);
    if (leak) Object.assign(installed, { ok: false, detail: leak });
  }
  if (set('install', installed)) {
    if (user.missing) {
      for (const s of ['esm', 'cjs', ...TS_STEPS]) set(s, { ok: false, detail: user.missing });
    } else {
      const apps = runApps({ appDir, user, name: p.pkg.name }).then((x) => {
        set('esm', x.esm);
        set('cjs', x.cjs);
      });
      const types = TS_STEPS.map((step) =>
        cpu.use(() => typecheckApp({ appDir, user, tscBin, step })).then((x) => set(step, x)),
      );
      await Promise.all([apps, ...types]);
    }
  }
  await lints;
  return finish();
}

/** All tarballs in one app, every TypeScript user app in one program (see createTogetherApp). */
async function checkTogether(results, ctx) {
  const { tempRoot, versions, tscBin, cpu } = ctx;
  const started = performance.now();
  const res = Object.fromEntries(STEPS.map((s) => [s, { status: '-' }]));
  const out = { p: { pkg: { name: '(all together)' } }, res, size: '', warnings: [] };
  const packs = results
    .filter((o) => o.tarball && o.user && !o.user.missing)
    .map((o) => ({ ...o, folder: o.p.folder, pkg: o.p.pkg }));
  const set = (step, r) => {
    res[step] = r.ok ? { status: 'ok', ms: r.ms } : { status: 'FAIL', ms: r.ms, detail: r.detail };
    return r.ok;
  };
  const appDir = join(tempRoot, 'apps', '_together');
  createTogetherApp({ appDir, packs, versions });
  if (set('install', await installApp(appDir))) {
    await Promise.all(
      ['ts-nodenext', 'ts-bundler'].map((step) =>
        cpu.use(() => typecheckTogether({ appDir, packs, tscBin, step })).then((x) => set(step, x)),
      ),
    );
  }
  out.size = `${packs.length} packages`;
  out.ms = Math.round(performance.now() - started);
  ctx.progress(out);
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const packages = discoverPackages(opts.only);
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const versions = {
    koa: rootPkg.devDependencies.koa,
    '@types/koa': rootPkg.devDependencies['@types/koa'],
    '@types/node': rootPkg.devDependencies['@types/node'],
  };
  const tscBin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const tempRoot = realpathSync(mkdtempSync(join(tmpdir(), 'koa-kit-check-')));
  checkTempLocation(tempRoot);
  mkdirSync(join(tempRoot, 'tarballs'));
  const cpu = semaphore(Math.max(1, availableParallelism()));
  const t0 = performance.now();
  console.log(
    `check:packages: ${packages.length} package(s), ${opts.concurrency} at a time, apps in ${tempRoot}` +
      `${opts.build === 'never' ? ' (no build)' : ''}`,
  );
  const progress = (o) => {
    const failed = STEPS.filter((s) => o.res[s].status === 'FAIL');
    console.log(
      `  ${failed.length ? 'FAIL' : 'ok  '} ${o.p.pkg.name} ${(o.ms / 1000).toFixed(1)}s${failed.length ? ` (${failed.join(', ')})` : ''}`,
    );
  };
  const ctx = { tempRoot, opts, cpu, versions, tscBin, progress };
  const pool = semaphore(opts.concurrency);
  let results;
  let matrix;
  try {
    results = await Promise.all(packages.map((p) => pool.use(() => checkPackage(p, ctx))));
    if (results.length > 1) {
      const packs = results
        .filter((o) => o.tarball && o.user && !o.user.missing)
        .map((o) => ({ ...o, folder: o.p.folder, pkg: o.p.pkg }));
      const extraDir = join(root, 'scripts', 'check-packages', 'apps', '_types');
      [matrix] = await Promise.all([
        typeMatrix({ tempRoot, packs, versions, cpu, extraDir }).then((m) => {
          console.log(`  type matrix ${(Math.max(...m.rows.map((r) => r.ms ?? 0)) / 1000).toFixed(1)}s`);
          return m;
        }),
        checkTogether(results, ctx).then((o) => results.push(o)),
      ]);
    }
  } finally {
    if (!opts.keep) rmSync(tempRoot, { recursive: true, force: true });
  }

  const header = ['package', ...STEPS, 'tarball (unpacked, files)', 'time'];
  const rows = results.map((o) => [
    o.p.pkg.name,
    ...STEPS.map((s) => o.res[s].status),
    o.size,
    `${(o.ms / 1000).toFixed(1)}s`,
  ]);
  console.log(`\n${table(header, rows)}\n`);
  let failures = 0;
  if (matrix) {
    console.log(`type matrix (TypeScript ${matrix.tsVersions.join(' and ')}; skipLibCheck false, strict):`);
    const mrows = matrix.rows.map((r) => [r.name, ...MATRIX_COLUMNS.map((c) => r.res[c]?.status ?? 'skip')]);
    console.log(`${table(['combination', ...MATRIX_COLUMNS], mrows)}\n`);
    for (const r of matrix.rows) {
      for (const c of MATRIX_COLUMNS) {
        if (r.res[c]?.status !== 'FAIL') continue;
        failures++;
        console.log(`--- type matrix, ${r.name}, ${c} failed\n${r.res[c].detail.replace(/^/gm, '    ')}\n`);
      }
    }
  }
  for (const o of results) {
    // Steps that failed for the same reason are reported once.
    const byDetail = new Map();
    for (const s of STEPS) {
      if (o.res[s].status !== 'FAIL') continue;
      failures++;
      const detail = o.res[s].detail || '(no output)';
      byDetail.set(detail, [...(byDetail.get(detail) ?? []), s]);
    }
    for (const [detail, steps] of byDetail)
      console.log(`--- ${o.p.pkg.name}: ${steps.join(', ')} failed\n${detail.replace(/^/gm, '    ')}\n`);
    for (const w of o.warnings) console.log(`warning: ${o.p.pkg.name}: ${w}`);
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  // Where the time goes (summed over packages; steps overlap, so this is more than the wall time).
  const perStep = STEPS.map((s) => [s, results.reduce((sum, o) => sum + (o.res[s].ms ?? 0), 0)])
    .filter(([, ms]) => ms > 0)
    .map(([s, ms]) => `${s} ${(ms / 1000).toFixed(0)}s`);
  console.log(`step time, summed: ${perStep.join(', ')}`);
  if (opts.keep) console.log(`temp apps kept in ${tempRoot}${sep}apps`);
  console.log(
    failures
      ? `check:packages: ${failures} failure(s) in ${results.filter((o) => STEPS.some((s) => o.res[s].status === 'FAIL')).length} package(s), ${secs}s`
      : `check:packages: all ${packages.length} package(s) install and work on their own, ${secs}s`,
  );
  process.exitCode = failures ? 1 : 0;
}

main().catch((err) => {
  console.error(`check:packages: ${err.message}`);
  process.exitCode = 2;
});
