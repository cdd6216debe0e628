// The type matrix: every packed tarball in one fresh app per (@types/node, @types/koa-session)
// combination, every package's TypeScript user app (plus apps/_types/*.ts) compiled in one
// program by each TypeScript version, under NodeNext (each app as an .mts and a .cts file in the
// same program, so both entry points' declarations load at once) and under Bundler. No
// skipLibCheck: a declaration that stops compiling for some consumer fails here.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, tail, userEnv } from './exec.mjs';

/** `@types/node` majors users have today, and whatever npm gives a new app. */
export const NODE_TYPES = ['^20', '^22', '^24', 'latest'];
/** The TypeScript the repository builds with, and the newest. */
export const TYPESCRIPTS = { 'ts 5.9': '~5.9.3', 'ts latest': 'latest' };
const PROGRAMS = ['nodenext', 'bundler'];
export const MATRIX_COLUMNS = Object.keys(TYPESCRIPTS).flatMap((ts) => PROGRAMS.map((p) => `${ts} ${p}`));

/** A line of a user app ending with this comment is left out where @types/koa-session is installed. */
const NOT_WITH_KOA_SESSION = /\/\/ not with @types\/koa-session\s*$/;

const COMPILER = {
  target: 'ES2022',
  lib: ['ES2023'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noEmit: true,
  skipLibCheck: false,
  esModuleInterop: true,
  forceConsistentCasingInFileNames: true,
};

const install = (cwd) =>
  exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env: userEnv(),
    timeout: 300_000,
  });

/** Both TypeScript versions, installed once; every combination is compiled with these. */
async function installTools(dir) {
  mkdirSync(dir, { recursive: true });
  const dependencies = Object.fromEntries(
    Object.entries(TYPESCRIPTS).map(([label, range]) => [label.replace(/\W+/g, '-'), `npm:typescript@${range}`]),
  );
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'kk-tsc', private: true, dependencies })}\n`);
  const r = await install(dir);
  if (r.code !== 0) return { ok: false, detail: tail(r) };
  const tsc = {};
  for (const label of Object.keys(TYPESCRIPTS)) {
    const pkgDir = join(dir, 'node_modules', label.replace(/\W+/g, '-'));
    tsc[label] = {
      bin: join(pkgDir, 'bin', 'tsc'),
      version: JSON.parse(readFileSync(join(pkgDir, 'package.json'))).version,
    };
  }
  return { ok: true, tsc };
}

function writeSources(appDir, packs, extraDir, koaSession) {
  const sources = packs.map((p) => [p.folder, readFileSync(p.user.tsFile, 'utf8')]);
  for (const f of readdirSync(extraDir).filter((f) => f.endsWith('.ts')))
    sources.push([`_${f.replace(/\.ts$/, '')}`, readFileSync(join(extraDir, f), 'utf8')]);
  const files = { nodenext: [], bundler: [] };
  for (const [name, text] of sources) {
    const source = koaSession
      ? text
          .split('\n')
          .filter((l) => !NOT_WITH_KOA_SESSION.test(l))
          .join('\n')
      : text;
    for (const ext of ['mts', 'cts']) writeFileSync(join(appDir, `${name}.${ext}`), source);
    writeFileSync(join(appDir, `${name}.ts`), source);
    files.nodenext.push(`${name}.mts`, `${name}.cts`);
    files.bundler.push(`${name}.ts`);
  }
  return files;
}

async function compile({ appDir, tsc, program, files, koaSession }) {
  const config = join(appDir, `tsconfig.${program}.json`);
  const resolution =
    program === 'nodenext'
      ? { module: 'NodeNext', moduleResolution: 'NodeNext' }
      : { module: 'ESNext', moduleResolution: 'Bundler' };
  // Listed explicitly: TypeScript 6 and later no longer load every @types package by default.
  const types = ['node', ...(koaSession ? ['koa-session'] : [])];
  const compilerOptions = { ...COMPILER, ...resolution, types };
  writeFileSync(config, `${JSON.stringify({ compilerOptions, files }, null, 2)}\n`);
  const r = await exec(process.execPath, [tsc.bin, '-p', config, '--pretty', 'false'], {
    cwd: appDir,
    env: userEnv(),
    timeout: 180_000,
  });
  return r.code === 0 ? { ok: true, ms: r.ms } : { ok: false, ms: r.ms, detail: tail(r, 25) };
}

/**
 * Runs the whole matrix; returns one row per (@types/node, @types/koa-session) combination, each
 * with a result per MATRIX_COLUMNS entry. `cpu` bounds the installs and compiles running at once.
 */
export async function typeMatrix({ tempRoot, packs, versions, cpu, extraDir }) {
  const root = join(tempRoot, 'matrix');
  const tools = await cpu.use(() => installTools(join(root, 'tsc')));
  const combos = NODE_TYPES.flatMap((node) => [false, true].map((koaSession) => ({ node, koaSession })));
  const rows = await Promise.all(
    combos.map(async ({ node, koaSession }) => {
      const name = `@types/node ${node}${koaSession ? ' + @types/koa-session' : ''}`;
      const row = { name, res: {}, started: performance.now() };
      const fail = (detail) => {
        for (const c of MATRIX_COLUMNS) row.res[c] = { status: 'FAIL', detail };
        return row;
      };
      if (!tools.ok) return fail(`installing TypeScript failed:\n${tools.detail}`);
      const appDir = join(root, `node${node.replace(/\W/g, '')}${koaSession ? '-koa-session' : ''}`);
      mkdirSync(appDir, { recursive: true });
      const dependencies = {
        ...Object.fromEntries(packs.map((p) => [p.pkg.name, `file:${p.tarball}`])),
        koa: versions.koa,
        '@types/koa': versions['@types/koa'],
        '@types/node': node,
        ...(koaSession ? { '@types/koa-session': 'latest' } : {}),
      };
      const manifest = { name: 'kk-type-matrix', private: true, type: 'module', dependencies };
      writeFileSync(join(appDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      const installed = await cpu.use(() => install(appDir));
      if (installed.code !== 0) return fail(`npm install failed:\n${tail(installed)}`);
      const nodeTypes = JSON.parse(readFileSync(join(appDir, 'node_modules/@types/node/package.json'))).version;
      row.name = `@types/node ${nodeTypes}${koaSession ? ' + @types/koa-session' : ''}`;
      const files = writeSources(appDir, packs, extraDir, koaSession);
      await Promise.all(
        Object.entries(tools.tsc).flatMap(([label, tsc]) =>
          PROGRAMS.map(async (program) => {
            const r = await cpu.use(() => compile({ appDir, tsc, program, files: files[program], koaSession }));
            row.res[`${label} ${program}`] = r.ok
              ? { status: 'ok', ms: r.ms }
              : { status: 'FAIL', ms: r.ms, detail: `typescript ${tsc.version}, ${program}:\n${r.detail}` };
          }),
        ),
      );
      row.ms = Math.round(performance.now() - row.started);
      return row;
    }),
  );
  return { rows, tsVersions: tools.ok ? Object.values(tools.tsc).map((t) => t.version) : [] };
}
