import { fileURLToPath } from 'node:url';
import { describeExports, describeTypeSurface } from '@koa-kit/testing';
import * as pkg from '@koa-kit/upload';
import { expect, test } from 'vitest';

// The public surface: a change here is a visible snapshot diff. Update it on purpose
// (`npx vitest run --project upload test/exports.test.ts -u`) and say why in the changeset.
test('@koa-kit/upload run-time exports', () => {
  expect(describeExports(pkg)).toMatchSnapshot();
});

test('@koa-kit/upload type exports and koa augmentation', () => {
  expect(describeTypeSurface(fileURLToPath(new URL('../src/index.ts', import.meta.url)))).toMatchSnapshot();
});
