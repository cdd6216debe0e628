import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, tail, userEnv } from './exec.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const APPS = join(here, '..', 'apps');
const HARNESS = join(here, '..', 'harness.cjs');
const require = createRequire(import.meta.url);

/** The per-package user app sources (apps/<folder>/scenario.cjs and app.ts), or why they are missing. */
export function userAppOf(folder) {
  const dir = join(APPS, folder);
  const scenarioFile = join(dir, 'scenario.cjs');
  const tsFile = join(dir, 'app.ts');
  if (!existsSync(scenarioFile) || !existsSync(tsFile))
    return { missing: `no user app in scripts/check-packages/apps/${folder}/` };
  let scenario;
  try {
    scenario = require(scenarioFile);
  } catch (err) {
    return { missing: `apps/${folder}/scenario.cjs does not load: ${err.message}` };
  }
  if (!Array.isArray(scenario.imports) || typeof scenario.setup !== 'function' || typeof scenario.check !== 'function')
    return { missing: `apps/${folder}/scenario.cjs must export { imports, setup, check }` };
  return { dir, scenarioFile, tsFile, scenario };
}

/** Writes a fresh app that depends on the tarball, koa and the type packages a TS user has. */
export function createApp({ appDir, tarball, pkg, versions, extraDependencies = {} }) {
  mkdirSync(appDir, { recursive: true });
  const manifest = {
    name: `kk-user-app-${pkg.name.split('/').pop()}`,
    private: true,
    type: 'module',
    dependencies: {
      [pkg.name]: `file:${tarball}`,
      koa: pkg.peerDependencies?.koa ?? versions.koa,
      ...extraDependencies,
    },
    devDependencies: { '@types/koa': versions['@types/koa'], '@types/node': versions['@types/node'] },
  };
  writeFileSync(join(appDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

export async function installApp(appDir) {
  const r = await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: appDir,
    env: userEnv(),
    timeout: 240_000,
  });
  return r.code === 0 ? { ok: true, ms: r.ms } : { ok: false, ms: r.ms, detail: tail(r) };
}

/** Makes sure nothing in the app resolves through a symlink or a parent folder's node_modules. */
export function checkIsolation(appDir, name) {
  const installed = join(appDir, 'node_modules', ...name.split('/'));
  const real = realpathSync(installed);
  if (!real.startsWith(realpathSync(appDir))) return `${name} is linked to ${real}, not installed from the tarball`;
  return null;
}

const esmEntry = (name, imports) => `import * as namespace from '${name}';
import { ${imports.join(', ')} } from '${name}';
import Koa from 'koa';
import harness from './harness.cjs';
import scenario from './scenario.cjs';

const kit = { ${imports.join(', ')} };
await harness.run({ scenario, kit, namespace, Koa, flavour: 'esm', packageName: '${name}' });
`;

const cjsEntry = (name, imports) => `'use strict';
const namespace = require('${name}');
const { ${imports.join(', ')} } = require('${name}');
const Koa = require('koa');
const harness = require('./harness.cjs');
const scenario = require('./scenario.cjs');

const kit = { ${imports.join(', ')} };
harness
  .run({ scenario, kit, namespace, Koa, flavour: 'cjs', packageName: '${name}' })
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
`;

/** Writes the ESM and CommonJS entry points and runs each as its own process. */
export async function runApps({ appDir, user, name }) {
  copyFileSync(HARNESS, join(appDir, 'harness.cjs'));
  copyFileSync(user.scenarioFile, join(appDir, 'scenario.cjs'));
  writeFileSync(join(appDir, 'esm.mjs'), esmEntry(name, user.scenario.imports));
  writeFileSync(join(appDir, 'cjs.cjs'), cjsEntry(name, user.scenario.imports));
  const env = userEnv({ NODE_ENV: 'production' });
  const [esm, cjs] = await Promise.all(
    ['esm.mjs', 'cjs.cjs'].map((f) => exec(process.execPath, [f], { cwd: appDir, env, timeout: 30_000 })),
  );
  const result = (r) => (r.code === 0 ? { ok: true, ms: r.ms } : { ok: false, ms: r.ms, detail: tail(r) });
  const out = { esm: result(esm), cjs: result(cjs) };
  // Both builds must offer the same names: a user switching module systems loses nothing.
  const names = (r) => /^exports: (.*)$/m.exec(r.stdout)?.[1];
  if (out.esm.ok && out.cjs.ok && names(esm) !== names(cjs)) {
    out.cjs = {
      ok: false,
      ms: cjs.ms,
      detail: `CommonJS exports differ from ESM:\n  esm: ${names(esm)}\n  cjs: ${names(cjs)}`,
    };
  }
  return out;
}

/** What a Node 20 app compiles with (as @tsconfig/node20: no DOM lib), minus skipLibCheck. */
const COMPILER = {
  target: 'ES2022',
  lib: ['ES2023'],
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  esModuleInterop: true,
  forceConsistentCasingInFileNames: true,
};

/** Three programs: the app as ESM and as CommonJS under NodeNext, and as ESM under Bundler. */
const TS_PROGRAMS = {
  'ts-nodenext': { file: 'app.ts', compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } },
  'ts-cjs': { file: 'app.cts', compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } },
  'ts-bundler': { file: 'app.ts', compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler' } },
};
export const TS_STEPS = Object.keys(TS_PROGRAMS);

/** Type-checks the package's TypeScript user app, without skipLibCheck, with the repository's tsc. */
export async function typecheckApp({ appDir, user, tscBin, step }) {
  const source = readFileSync(user.tsFile, 'utf8');
  writeFileSync(join(appDir, 'app.ts'), source);
  writeFileSync(join(appDir, 'app.cts'), source);
  return tsc({ appDir, tscBin, step, files: [TS_PROGRAMS[step].file] });
}

/**
 * One app that installs every tarball and compiles every package's TypeScript user app in one
 * program: the packages' `koa` augmentations must agree with each other (two packages declaring
 * `ctx.state.user` differently is a compile error only a user with both would see).
 */
export function createTogetherApp({ appDir, packs, versions }) {
  mkdirSync(appDir, { recursive: true });
  const deps = Object.fromEntries(packs.map((p) => [p.pkg.name, `file:${p.tarball}`]));
  const manifest = {
    name: 'kk-user-app-together',
    private: true,
    type: 'module',
    dependencies: { ...deps, koa: versions.koa },
    devDependencies: { '@types/koa': versions['@types/koa'], '@types/node': versions['@types/node'] },
  };
  writeFileSync(join(appDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const p of packs) writeFileSync(join(appDir, `${p.folder}.ts`), readFileSync(p.user.tsFile, 'utf8'));
}

export async function typecheckTogether({ appDir, packs, tscBin, step }) {
  return tsc({ appDir, tscBin, step, files: packs.map((p) => `${p.folder}.ts`) });
}

async function tsc({ appDir, tscBin, step, files }) {
  const program = TS_PROGRAMS[step];
  const config = join(appDir, `tsconfig.${step}.json`);
  const tsconfig = { compilerOptions: { ...COMPILER, ...program.compilerOptions }, files };
  writeFileSync(config, `${JSON.stringify(tsconfig, null, 2)}\n`);
  const r = await exec(process.execPath, [tscBin, '-p', config, '--pretty', 'false'], {
    cwd: appDir,
    env: userEnv(),
    timeout: 120_000,
  });
  return r.code === 0 ? { ok: true, ms: r.ms } : { ok: false, ms: r.ms, detail: tail(r, 25) };
}
