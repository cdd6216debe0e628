import { itRefusesOptions } from '@koa-kit/common/test';
import { rateLimit } from '@koa-kit/rate-limit';
import { describe } from 'vitest';

describe('option errors read `rateLimit(): <detail>`', () => {
  itRefusesOptions('rateLimit', [
    ['options that are not an object', () => rateLimit([] as never), 'options must be an object'],
    ['an unknown option', () => rateLimit({ maxx: 1 } as never), 'unknown option "maxx"'],
    ['a koa-ratelimit option it names differently', () => rateLimit({ whitelist: () => false } as never), /use allow$/],
    ['a Map as db', () => rateLimit({ db: new Map() } as never), /^"db" option is a Map/],
    ['a bad driver', () => rateLimit({ driver: 'mongo' as never }), '"driver" option must be "memory" or "redis"'],
    ['a bad duration', () => rateLimit({ duration: 'soon' }), /^"duration" option must be a number of milliseconds/],
    ['a bad max', () => rateLimit({ max: 0 }), /^"max" option must be/],
  ]);
});
