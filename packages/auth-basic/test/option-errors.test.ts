import { basicAuth } from '@koa-kit/auth-basic';
import { itRefusesOptions } from '@koa-kit/common/test';
import { describe } from 'vitest';

const users = { alice: 'secret' };

describe('option errors read `basicAuth(): <detail>`', () => {
  itRefusesOptions('basicAuth', [
    ['no options', () => basicAuth(undefined as never), 'options must be an object'],
    ['neither users nor validate', () => basicAuth({}), /^"users" or "validate" option is required/],
    ['both users and validate', () => basicAuth({ users, validate: () => true }), /cannot be used together$/],
    ['users that are not an object', () => basicAuth({ users: [] as never }), /^"users" option must be an object/],
    ['no user', () => basicAuth({ users: {} }), '"users" option must name at least one user'],
    ['a password that is not a string', () => basicAuth({ users: { a: 1 as never } }), /the password of "a"/],
    ['a user name with ":"', () => basicAuth({ users: { 'a:b': 'x' } }), /must not contain ":"/],
    ['a realm with a newline', () => basicAuth({ users, realm: 'a\nb' }), /^"realm" option must be a string/],
    ['a bad proxy', () => basicAuth({ users, proxy: 'yes' as never }), '"proxy" option must be a boolean'],
  ]);
});
