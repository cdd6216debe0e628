import { fileURLToPath } from 'node:url';
import type { Options } from 'tsup';

const INTERNAL = /^@koa-kit\/common(\/|$)/;
const COMMON_INDEX = fileURLToPath(new URL('./internal/common/src/index.ts', import.meta.url));
const COMMON_KOA_KIT_USER = fileURLToPath(new URL('./internal/common/src/koa-kit-user.ts', import.meta.url));

/**
 * Declarations: @koa-kit/common is found by path, not through node_modules (which the declaration
 * bundler would leave as an import), so what it declares (the KoaKitUser augmentation) is inlined.
 */
const DTS = {
  compilerOptions: {
    rootDir: '../..',
    paths: { '@koa-kit/common': [COMMON_INDEX], '@koa-kit/common/koa-kit-user': [COMMON_KOA_KIT_USER] },
  },
};

/** The one build every package uses: ESM + CommonJS with declarations for both, no source maps. */
export function packageConfig(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    clean: true,
    target: 'node20',
    platform: 'node',
    sourcemap: false,
    splitting: false,
    treeshake: true,
    shims: false,
    // Keep `function session()` inside `session()` named `session` (DEBUG=koa* shows middleware names).
    keepNames: true,
    // Helpers shared by the packages live in internal/common: bundled into each build (and its
    // declarations), never imported at run time; check:packages fails on any @koa-kit/ import.
    noExternal: [INTERNAL],
    dts: DTS,
    ...overrides,
  };
}

/**
 * As packageConfig, but `src/<shared>.ts` (declarations only: a `declare module 'koa'` block and the
 * types it names) is published once, as `dist/<shared>.d.cts`, which index.d.ts and index.d.cts
 * both import instead of each inlining a copy. An app that loads both entry points (an .mts and a
 * .cts file in one program) then sees one augmentation: a duplicated accessor pair is TS2300.
 */
export function packageConfigWithSharedTypes(shared: string): Options {
  const base = packageConfig();
  const external = [new RegExp(`^\\./${shared}\\.js$`)];
  return {
    ...base,
    dts: false,
    external,
    // Runs after the JavaScript build; the declarations are built here so the rewrite sees them.
    async onSuccess() {
      const { build } = await import('tsup');
      const { readFileSync, writeFileSync } = await import('node:fs');
      const ts = (await import('typescript')).default;
      await build({ ...base, config: false, clean: false, silent: true, external, dts: { ...DTS, only: true } });
      const source = readFileSync(`src/${shared}.ts`, 'utf8');
      const out = ts.transpileDeclaration(source, { fileName: `${shared}.ts`, reportDiagnostics: true });
      if (out.diagnostics?.length || /from\s+['"]\./.test(out.outputText))
        throw new Error(`src/${shared}.ts must hold declarations only, with no relative imports`);
      writeFileSync(`dist/${shared}.d.cts`, out.outputText);
      for (const file of ['dist/index.d.ts', 'dist/index.d.cts']) {
        const text = readFileSync(file, 'utf8');
        const from = `from './${shared}.js'`;
        if (!text.includes(from)) throw new Error(`${file} does not import ./${shared}.js`);
        writeFileSync(file, text.replaceAll(from, `from './${shared}.cjs'`));
      }
    },
  };
}
