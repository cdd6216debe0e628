import { fileURLToPath } from 'node:url';
import { itRefusesOptions } from '@koa-kit/common/test';
import { serveStatic } from '@koa-kit/static';
import { describe } from 'vitest';

const root = fileURLToPath(new URL('./fixtures', import.meta.url));

describe('option errors read `serveStatic(): <detail>`', () => {
  itRefusesOptions('serveStatic', [
    ['no root', () => serveStatic('' as never), '"root" must be a path to an existing folder'],
    [
      'a root that does not exist',
      () => serveStatic(`${root}/missing`),
      /^"root" must be a path to an existing folder: /,
    ],
    ['options that are not an object', () => serveStatic(root, 'x' as never), 'options must be an object'],
    [
      'a bad prefix',
      () => serveStatic(root, { prefix: 'static' }),
      /^"prefix" option must be a path starting with "\/"/,
    ],
    ['a bad index', () => serveStatic(root, { index: 'a/b' }), '"index" option must be a file name without separators'],
    ['a bad maxAge', () => serveStatic(root, { maxAge: 'soon' as never }), /^"maxAge" option must be a number/],
    ['a bad boolean', () => serveStatic(root, { immutable: 1 as never }), '"immutable" option must be a boolean'],
  ]);
});
