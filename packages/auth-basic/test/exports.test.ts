import { fileURLToPath } from 'node:url';
import * as pkg from '@koa-kit/auth-basic';
import { withKoaKitUser } from '@koa-kit/common/test';
import { describeExports, describeTypeSurface } from '@koa-kit/testing';
import { expect, test } from 'vitest';

// The public surface: a change here is a visible snapshot diff. Update it on purpose
// (`npx vitest run --project auth-basic test/exports.test.ts -u`) and say why in the changeset.
test('@koa-kit/auth-basic run-time exports', () => {
  expect(describeExports(pkg)).toMatchSnapshot();
});

// KoaKitUser and DefaultState.user come from internal/common, inlined into the published .d.ts.
test('@koa-kit/auth-basic type exports and koa augmentation', () => {
  const own = describeTypeSurface(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
  expect(withKoaKitUser(own)).toMatchSnapshot();
}, 60_000); // two TypeScript programs: slow on a loaded machine
