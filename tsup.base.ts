import type { Options } from 'tsup';

/** The one build every package uses: ESM + CommonJS with declarations for both, no source maps. */
export function packageConfig(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    sourcemap: false,
    splitting: false,
    treeshake: true,
    shims: false,
    // Keep `function session()` inside `session()` named `session` (DEBUG=koa* shows middleware names).
    keepNames: true,
    ...overrides,
  };
}
