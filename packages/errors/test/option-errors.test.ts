import { itRefusesOptions } from '@koa-kit/common/test';
import { errors } from '@koa-kit/errors';
import { describe } from 'vitest';

describe('option errors read `errors(): <detail>`', () => {
  itRefusesOptions('errors', [
    ['options that are not an object', () => errors([] as never), 'options must be an object'],
    ['an unknown option', () => errors({ formt: 'auto' } as never), 'unknown option "formt"'],
    [
      'a bad format',
      () => errors({ format: 'xml' as never }),
      '"format" option must be "auto", "envelope" or a function',
    ],
    ['a bad boolean', () => errors({ stack: 'yes' as never }), '"stack" option must be a boolean'],
    ['a bad maxMessageLength', () => errors({ maxMessageLength: 8 }), /^"maxMessageLength" option must be an integer/],
    ['a bad drainLimit', () => errors({ drainLimit: -1 }), /^"drainLimit" option must be an integer/],
  ]);
});
