import { itRefusesOptions } from '@koa-kit/common/test';
import { jwks, jwt, requireScope, sign } from '@koa-kit/jwt';
import { describe } from 'vitest';
import { SECRET } from './helpers.js';

const ok = { secret: SECRET, algorithms: ['HS256' as const] };

describe('option errors read `<function>(): <detail>`', () => {
  itRefusesOptions('jwt', [
    ['no options', () => jwt(undefined as never), 'options must be an object'],
    ['an unknown option', () => jwt({ ...ok, secrett: 1 } as never), 'unknown option "secrett"'],
    ['a refused jsonwebtoken option', () => jwt({ ...ok, ignoreExpiration: true } as never), /^"ignoreExpiration"/],
    ['no algorithms', () => jwt({ secret: SECRET } as never), /^"algorithms" option is required/],
    ['"none"', () => jwt({ ...ok, algorithms: ['none' as never] }), '"algorithms" option must never include "none"'],
    ['no secret', () => jwt({ algorithms: ['HS256'] } as never), '"secret" option is required'],
    ['a bad secret', () => jwt({ ...ok, secret: 42 as never }), /^"secret" option: /],
    ['a weak secret', () => jwt({ ...ok, secret: 'short' }), /^"secret" option does not fit "algorithms"/],
    ['a bad realm', () => jwt({ ...ok, realm: 'é' }), /^"realm" option must be/],
    ['a bad key', () => jwt({ ...ok, key: '__proto__' }), '"key" option cannot be "__proto__"'],
    ['the same key twice', () => jwt({ ...ok, key: 'jwt' }), /^"key" and "jwtKey" options cannot both be/],
    ['a bad audience', () => jwt({ ...ok, audience: [] }), /^"audience" option must be a string, a RegExp/],
    ['a bad cache', () => jwt({ ...ok, cache: 'yes' as never }), '"cache" option must be false or { max, ttl }'],
    ['a bad cache.max', () => jwt({ ...ok, cache: { max: -1 } }), '"cache.max" option must be a non-negative integer'],
    ['a bad maxAge', () => jwt({ ...ok, maxAge: 'soon' }), /^"maxAge" option must be a positive number/],
    ['a bad passthrough', () => jwt({ ...ok, passthrough: 1 as never }), '"passthrough" option must be a boolean'],
  ]);
  itRefusesOptions('requireScope', [
    ['no scope', () => requireScope(), 'name at least one scope'],
    ['a scope with a space', () => requireScope('a b'), '"a b" is not a valid scope token'],
  ]);
  itRefusesOptions('sign', [
    ['a payload that is not an object', () => sign('x' as never, SECRET, { algorithm: 'HS256' }), /^payload must/],
    ['no options', () => sign({}, SECRET, undefined as never), /^options with an "algorithm"/],
    ['"none"', () => sign({}, SECRET, { algorithm: 'none' as never }), /^"algorithm" option is required/],
    ['a key that does not fit', () => sign({}, 'short', { algorithm: 'HS256' }), /^key: /],
  ]);
  itRefusesOptions('jwks', [
    ['no options', () => jwks(undefined as never), 'options must be an object'],
    ['a relative uri', () => jwks({ uri: '/keys' }), '"uri" option must be an absolute http(s) URL'],
    ['a file uri', () => jwks({ uri: 'file:///keys' }), '"uri" option must be an http(s) URL'],
    [
      'a bad cacheTtl',
      () => jwks({ uri: 'https://a.test/k', cacheTtl: 0 }),
      /^"cacheTtl" option must be a positive number/,
    ],
  ]);
});
