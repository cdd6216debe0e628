import { rateLimit } from '@koa-kit/rate-limit';
import { describe, expect, it } from 'vitest';

describe('rateLimit() options', () => {
  it('returns a named middleware function', () => {
    const mw = rateLimit();
    expect(typeof mw).toBe('function');
    expect(mw.name).toBe('rateLimit');
  });

  it.each([
    [{ max: 0 }, '"max"'],
    [{ max: 1.5 }, '"max"'],
    [{ max: '10' }, '"max"'],
    [{ duration: 0 }, '"duration"'],
    [{ duration: '1 fortnight' }, '"duration"'],
    [{ duration: '-1m' }, '"duration"'],
    [{ duration: Number.NaN }, '"duration"'],
    [{ duration: '400d' }, '"duration"'],
    [{ driver: 'postgres' }, '"driver"'],
    [{ driver: 'redis' }, '"db"'],
    [{ db: {} }, '"db"'],
    [{ driver: 'memory', db: { evalsha() {}, eval() {} } }, '"db"'],
    [{ id: 'ip' }, '"id"'],
    [{ allow: true }, '"allow"'],
    [{ deny: [] }, '"deny"'],
    [{ namespace: '' }, '"namespace"'],
    [{ namespace: 'a b' }, '"namespace"'],
    [{ namespace: 'a"b' }, '"namespace"'],
    [{ headers: { total: 'X Bad' } }, '"headers.total"'],
    [{ headers: { limit: 'X-Limit' } }, '"headers.limit"'],
    [{ headers: 'X' }, '"headers"'],
    [{ disableHeader: 'yes' }, '"disableHeader"'],
    [{ standardHeaders: 1 }, '"standardHeaders"'],
    [{ onStoreError: 'ignore' }, '"onStoreError"'],
    [{ storeTimeout: 0 }, '"storeTimeout"'],
    [{ storeTimeout: 120_000 }, '"storeTimeout"'],
    [{ maxKeys: -1 }, '"maxKeys"'],
    [{ ipv6Subnet: 0 }, '"ipv6Subnet"'],
    [{ ipv6Subnet: 129 }, '"ipv6Subnet"'],
    [{ errorMessage: 42 }, '"errorMessage"'],
    [{ whitelist: () => true }, 'use allow'],
    [{ blacklist: () => true }, 'use deny'],
    [{ throw: true }, 'always thrown'],
    [{ status: 503 }, 'always 429'],
    [{ onLimited: 'log' }, '"onLimited"'],
    [{ driver: 'memory', db: new Map() }, "koa-ratelimit's memory driver needs one"],
    [{ db: new Map() }, 'remove db'],
    [{ maxx: 10 }, '"maxx"'],
  ])('throws a TypeError naming the option for %j', (options, name) => {
    expect(() => rateLimit(options as never)).toThrow(TypeError);
    expect(() => rateLimit(options as never)).toThrow(name);
  });

  it('rejects a non-object', () => {
    expect(() => rateLimit(null as never)).toThrow(TypeError);
    expect(() => rateLimit('fast' as never)).toThrow(TypeError);
  });

  it('accepts every documented duration form', () => {
    for (const duration of [1000, '500ms', '30s', '1m', '1 min', '2 hours', '1h', '1d', '250']) {
      expect(() => rateLimit({ duration })).not.toThrow();
    }
  });

  it('never mutates the caller’s options', () => {
    const headers = { total: 'X-Quota' };
    const options = { max: 5, duration: '1m', headers, namespace: 'api' };
    const copy = structuredClone(options);
    rateLimit(options);
    expect(options).toEqual(copy);
    expect(Object.keys(headers)).toEqual(['total']);
  });
});
