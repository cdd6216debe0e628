import { type ErrorsOptions, errors } from '@koa-kit/errors';
import { describe, expect, test } from 'vitest';

describe('errors() options', () => {
  test('returns a named middleware function', () => {
    expect(errors().name).toBe('errors');
  });

  test.each([
    [{ format: 'xml' }, /"format" option/],
    [{ format: 42 }, /"format" option/],
    [{ stack: 'yes' }, /"stack" option must be a boolean/],
    [{ notFound: 1 }, /"notFound" option must be a boolean/],
    [{ emitClientErrors: 'true' }, /"emitClientErrors" option must be a boolean/],
    [{ maxMessageLength: 0 }, /"maxMessageLength" option/],
    [{ maxMessageLength: 1.5 }, /"maxMessageLength" option/],
    [{ maxMessageLength: 10_000_000 }, /"maxMessageLength" option/],
    [{ drainLimit: -1 }, /"drainLimit" option/],
    [{ drainLimit: 1.5 }, /"drainLimit" option/],
    [{ drainLimit: '1mb' }, /"drainLimit" option/],
    [{ drainLimit: 2 ** 31 }, /"drainLimit" option/],
    [{ formt: 'auto' }, /unknown option "formt"/],
  ])('refuses %j with a TypeError naming the option', (options, message) => {
    expect(() => errors(options as unknown as ErrorsOptions)).toThrow(TypeError);
    expect(() => errors(options as unknown as ErrorsOptions)).toThrow(message);
  });

  test('refuses options that are not an object', () => {
    expect(() => errors('auto' as unknown as ErrorsOptions)).toThrow(TypeError);
    expect(() => errors(null as unknown as ErrorsOptions)).toThrow(TypeError);
    expect(() => errors([] as unknown as ErrorsOptions)).toThrow(TypeError);
  });

  test('never mutates the caller object', () => {
    const options: ErrorsOptions = Object.freeze({ format: 'envelope', stack: false });
    errors(options);
    expect(options).toEqual({ format: 'envelope', stack: false });
  });
});
