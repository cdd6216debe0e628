import * as pkg from '@koa-kit/rate-limit';
import { describeExports } from '@koa-kit/testing';
import { expect, test } from 'vitest';

// The public surface: a change here is a visible snapshot diff (update with `vitest -u` on purpose).
test('@koa-kit/rate-limit exports', () => {
  expect(describeExports(pkg)).toMatchSnapshot();
});
