import * as pkg from '@koa-kit/errors';
import { describeExports } from '@koa-kit/testing';
import { expect, test } from 'vitest';

// The public surface: a change here is a visible snapshot diff (update with `vitest -u` on purpose).
test('@koa-kit/errors exports', () => {
  expect(describeExports(pkg)).toMatchSnapshot();
});
