import { describeExports } from '@koa-kit/testing';
import * as pkg from '@koa-kit/upload';
import { expect, test } from 'vitest';

// The public surface: a change here is a visible snapshot diff (update with `vitest -u` on purpose).
test('@koa-kit/upload exports', () => {
  expect(describeExports(pkg)).toMatchSnapshot();
});
