import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const packages = readdirSync(here('./packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

// Tests import the sources, so `npm test` needs no build first.
const alias = [
  { find: '@koa-kit/testing', replacement: here('./internal/testing/src/index.ts') },
  ...packages.map((name) => ({ find: `@koa-kit/${name}`, replacement: here(`./packages/${name}/src/index.ts`) })),
];

export default defineConfig({
  resolve: { alias },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name, root: here(`./packages/${name}`), include: ['test/**/*.test.ts'] },
      })),
      {
        extends: true as const,
        test: { name: 'recipes', root: here('./examples/recipes'), include: ['test/**/*.test.ts'] },
      },
      {
        // Several app instances on Redis (standalone and Cluster), failover and shared uploads.
        extends: true as const,
        test: {
          name: 'scaling',
          root: here('./examples/scaling'),
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true as const,
        test: { name: 'docs', root: here('./docs'), include: ['test/**/*.test.ts'] },
      },
      {
        extends: true as const,
        test: { name: 'demo', root: here('./examples/demo'), include: ['test/**/*.test.ts'] },
      },
      // The browser test needs Chromium: only `npm run test:e2e` runs it.
      ...(process.env.KOA_KIT_E2E === '1'
        ? [
            {
              extends: true as const,
              test: { name: 'e2e', root: here('./examples/demo'), include: ['e2e/**/*.e2e.ts'], testTimeout: 120_000 },
            },
          ]
        : []),
      // Seeded fuzzing of the demo's stack, bounded by FUZZ_SECONDS: only `npm run test:fuzz` runs it.
      ...(process.env.KOA_KIT_FUZZ === '1'
        ? [
            {
              extends: true as const,
              test: { name: 'fuzz', root: here('./examples/demo'), include: ['fuzz/**/*.fuzz.ts'] },
            },
          ]
        : []),
    ],
  },
});
