import { fileURLToPath } from 'node:url';
import * as pkg from '@koa-kit/jwt';
import { describeExports, describeTypeSurface } from '@koa-kit/testing';
import { expect, test } from 'vitest';

// The public surface: a change here is a visible snapshot diff. Update it on purpose
// (`npx vitest run --project jwt test/exports.test.ts -u`) and say why in the changeset.
test('@koa-kit/jwt run-time exports', () => {
  expect(describeExports(pkg)).toMatchSnapshot();
});

test('@koa-kit/jwt type exports and koa augmentation', () => {
  expect(describeTypeSurface(fileURLToPath(new URL('../src/index.ts', import.meta.url)))).toMatchSnapshot();
});
