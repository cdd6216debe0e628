import { itRefusesOptions } from '@koa-kit/common/test';
import { memoryStore, redisStore, session } from '@koa-kit/session';
import Koa from 'koa';
import { describe } from 'vitest';

const client = { status: 'ready', call: async () => null };
const store = memoryStore();

describe('option errors read `<function>(): <detail>`', () => {
  itRefusesOptions('session', [
    ['options that are not an object', () => session('x' as never), 'options must be an object'],
    ['an unknown option', () => session({ maxAgeMs: 1 } as never), 'unknown option "maxAgeMs"'],
    ["koa-session's maxage", () => session({ maxage: 1 } as never), 'unknown option "maxage" (use "maxAge")'],
    [
      "koa-session's encode",
      () => session({ encode: String } as never),
      '"encode" option is not supported: cookie sessions are always encrypted JSON (AES-256-GCM); keep custom formats in a store',
    ],
    [
      'a key that is no cookie name',
      () => session({ key: 'a b' }),
      '"key" option must be a cookie name (an HTTP token)',
    ],
    ['empty keys', () => session({ keys: [] }), '"keys" option must be a non-empty array of strings or Buffers'],
    ['a short key', () => session({ keys: ['short'] }), /^"keys" option must hold keys of at least 32 bytes/],
    [
      'a negative maxAge',
      () => session({ maxAge: -1 }),
      '"maxAge" option must be a positive integer (ms) or "session"',
    ],
    [
      'a sameSite that is no mode',
      () => session({ sameSite: 'yes' as never }),
      '"sameSite" option must be "lax", "strict", "none", true or false',
    ],
    ['a secure that is not a boolean', () => session({ secure: 'true' as never }), '"secure" option must be a boolean'],
    ['a relative path', () => session({ path: 'app' }), '"path" option must be a cookie path starting with "/"'],
    ['a domain that is no name', () => session({ domain: 'a;b' }), '"domain" option must be a domain name'],
    [
      'a store without destroy',
      () => session({ store: { get() {}, set() {} } as never }),
      '"store" option must have get, set and destroy methods',
    ],
    [
      'a zero storeTimeout',
      () => session({ storeTimeout: 0 }),
      '"storeTimeout" option must be a positive integer (ms)',
    ],
    ['a negative cacheSize', () => session({ cacheSize: -1 }), '"cacheSize" option must be a non-negative integer'],
    ['a valid that is not a function', () => session({ valid: true } as never), '"valid" option must be a function'],
    ['a prefix that is not a string', () => session({ store, prefix: 1 } as never), '"prefix" option must be a string'],
    [
      'genid without a store',
      () => session({ genid: () => 'x' }),
      '"genid" option needs a "store" (cookie sessions have no id)',
    ],
    [
      'the app twice',
      () => session(new Koa(), new Koa() as never),
      'pass the app once, with the options: session(options, app)',
    ],
    ['a second argument that is no app', () => session({}, {} as never), 'the second argument must be a Koa app'],
    [
      'an app without keys',
      () => session({}, new Koa()),
      /^session keys \(options\.keys or app\.keys\) must be a non-empty array/,
    ],
  ]);
  itRefusesOptions('memoryStore', [
    ['options that are not an object', () => memoryStore('x' as never), 'options must be an object'],
    ['an unknown option', () => memoryStore({ size: 1 } as never), 'unknown option "size"'],
    ['a zero max', () => memoryStore({ max: 0 }), '"max" option must be a positive integer'],
    ['a negative ttl', () => memoryStore({ ttl: -1 }), '"ttl" option must be a positive integer (ms)'],
    [
      'a conflicts mode',
      () => memoryStore({ conflicts: 'merge' as never }),
      '"conflicts" option must be "overwrite" or "refuse"',
    ],
  ]);
  itRefusesOptions('redisStore', [
    ['no options', () => redisStore(undefined as never), 'options must be an object'],
    ['an unknown option', () => redisStore({ client, tll: 1 } as never), 'unknown option "tll"'],
    [
      'no client',
      () => redisStore({} as never),
      '"client" option must be an ioredis client or cluster, or a node-redis client or cluster',
    ],
    [
      'a prefix that is not a string',
      () => redisStore({ client, prefix: 1 as never }),
      '"prefix" option must be a string',
    ],
    ['a zero ttl', () => redisStore({ client, ttl: 0 }), '"ttl" option must be a positive integer (ms)'],
    [
      'an empty userField',
      () => redisStore({ client, userField: '' }),
      '"userField" option must be a non-empty string',
    ],
    [
      'a conflicts mode',
      () => redisStore({ client, conflicts: 'x' as never }),
      '"conflicts" option must be "overwrite" or "refuse"',
    ],
    [
      'destroyUser() without userField',
      () => redisStore({ client }).destroyUser('alice'),
      'destroyUser() needs the "userField" option',
    ],
  ]);
});
