import { fileURLToPath } from 'node:url';
import { withKoaKitUser } from '@koa-kit/common/test';
import * as pkg from '@koa-kit/jwt';
import { describeExports, describeTypeSurface } from '@koa-kit/testing';
import { expect, test } from 'vitest';

// The public surface: a change here is a visible snapshot diff. Update it on purpose
// (`npx vitest run --project jwt test/exports.test.ts -u`) and say why in the changeset.
test('@koa-kit/jwt run-time exports', () => {
  expect(describeExports(pkg)).toMatchSnapshot();
});

// KoaKitUser and DefaultState.user come from internal/common, inlined into the published .d.ts.
test('@koa-kit/jwt type exports and koa augmentation', () => {
  const own = describeTypeSurface(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
  expect(withKoaKitUser(own)).toMatchSnapshot();
}, 60_000); // two TypeScript programs: slow on a loaded machine
