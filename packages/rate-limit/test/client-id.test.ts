import Router from '@koa/router';
import { rateLimit } from '@koa-kit/rate-limit';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { clientKey } from '../src/client-id.js';
import { makeApp } from './helpers.js';

describe('default id: ctx.ip', () => {
  it('ignores a spoofed X-Forwarded-For when app.proxy is false', async () => {
    const { app } = makeApp(rateLimit({ max: 2 }));
    const agent = request(app.callback());
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await agent.get('/').set('X-Forwarded-For', `203.0.113.${i}`)).status);
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it('follows X-Forwarded-For when app.proxy is true, the rightmost hop with maxIpsCount = 1', async () => {
    const { app } = makeApp(rateLimit({ max: 1 }));
    app.proxy = true;
    app.maxIpsCount = 1;
    const agent = request(app.callback());
    // The client forges the left part; the trusted proxy appended the real address.
    expect((await agent.get('/').set('X-Forwarded-For', '1.1.1.1, 198.51.100.7')).status).toBe(200);
    expect((await agent.get('/').set('X-Forwarded-For', '2.2.2.2, 198.51.100.7')).status).toBe(429);
    expect((await agent.get('/').set('X-Forwarded-For', '1.1.1.1, 198.51.100.8')).status).toBe(200);
  });

  it('keys IPv6 clients by their /64 and IPv4-mapped addresses as IPv4', async () => {
    const { app } = makeApp(rateLimit({ max: 2 }));
    app.proxy = true;
    const agent = request(app.callback());
    const xff = (ip: string) => agent.get('/').set('X-Forwarded-For', ip);
    expect((await xff('2001:db8:1:2::1')).status).toBe(200);
    expect((await xff('2001:db8:1:2:ffff:ffff:ffff:ffff')).status).toBe(200);
    expect((await xff('2001:0db8:0001:0002:abcd::9')).status).toBe(429); // same /64, other spelling
    expect((await xff('2001:db8:1:3::1')).status).toBe(200); // next /64
    expect((await xff('::ffff:192.0.2.1')).status).toBe(200);
    expect((await xff('192.0.2.1')).status).toBe(200);
    expect((await xff('::ffff:c000:201')).status).toBe(429); // 192.0.2.1 again, hex notation
  });

  it('keys each IPv6 address alone with ipv6Subnet: false', async () => {
    const { app } = makeApp(rateLimit({ max: 1, ipv6Subnet: false }));
    app.proxy = true;
    const agent = request(app.callback());
    expect((await agent.get('/').set('X-Forwarded-For', '2001:db8::1')).status).toBe(200);
    expect((await agent.get('/').set('X-Forwarded-For', '2001:db8::2')).status).toBe(200);
    expect((await agent.get('/').set('X-Forwarded-For', '2001:db8:0:0:0:0:0:1')).status).toBe(429);
  });

  it('survives hostile X-Forwarded-For values from a trusted proxy and still limits them', async () => {
    const { app } = makeApp(rateLimit({ max: 1 }));
    app.proxy = true;
    const agent = request(app.callback());
    const hostile = ['not-an-ip', ':::::', '::ffff:999.1.1.1', `${'a'.repeat(6000)}`, 'fe80::1%eth0', '[::1]', '%'];
    for (const value of hostile) {
      const first = await agent.get('/').set('X-Forwarded-For', value);
      const second = await agent.get('/').set('X-Forwarded-For', value);
      expect([value.slice(0, 20), first.status, second.status]).toEqual([value.slice(0, 20), 200, 429]);
    }
  });
});

describe('clientKey()', () => {
  it('normalises addresses', () => {
    expect(clientKey('192.0.2.1', 64)).toBe('192.0.2.1');
    expect(clientKey('::ffff:192.0.2.1', 64)).toBe('192.0.2.1');
    expect(clientKey('::FFFF:C000:0201', 64)).toBe('192.0.2.1');
    expect(clientKey('2001:db8:1:2:3:4:5:6', 64)).toBe('2001:db8:1:2:0:0:0:0/64');
    expect(clientKey('2001:db8:1:2:3:4:5:6', 48)).toBe('2001:db8:1:0:0:0:0:0/48');
    expect(clientKey('2001:db8:1:2:3:4:5:6', 56)).toBe('2001:db8:1:0:0:0:0:0/56');
    expect(clientKey('2001:db8:1:2ff:3:4:5:6', 56)).toBe('2001:db8:1:200:0:0:0:0/56');
    expect(clientKey('::1', false)).toBe('0:0:0:0:0:0:0:1');
    expect(clientKey('::1', 64)).toBe('0:0:0:0:0:0:0:0/64');
    expect(clientKey('64:ff9b::192.0.2.1', false)).toBe('64:ff9b:0:0:0:0:c000:201');
    expect(clientKey('fe80::1%eth0', 64)).toBe('fe80:0:0:0:0:0:0:0/64');
    expect(clientKey('x'.repeat(1000), 64)).toHaveLength(256);
    expect(clientKey('', 64)).toBe('');
  });
});

describe('@koa/router: per-route limits', () => {
  it('applies each route’s own limit and namespace, beside an app-wide limit', async () => {
    const router = new Router();
    router.post('/login', rateLimit({ max: 2, duration: '15m', namespace: 'login' }), (ctx) => {
      ctx.body = 'login';
    });
    router.get('/search', rateLimit({ max: 3, duration: '1m', namespace: 'search', standardHeaders: true }), (ctx) => {
      ctx.body = { search: ctx.state.rateLimit };
    });
    router.get('/free', (ctx) => {
      ctx.body = 'free';
    });
    const app = new Koa();
    app.use(rateLimit({ max: 100, namespace: 'global', headers: { remaining: 'X-Global-Remaining' } }));
    app.use(router.routes());
    app.use(router.allowedMethods());
    const agent = request(app.callback());

    expect((await agent.post('/login')).status).toBe(200);
    expect((await agent.post('/login')).status).toBe(200);
    const third = await agent.post('/login');
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toMatch(/^\d+$/);
    expect(third.headers['x-ratelimit-limit']).toBe('2');

    const search = await agent.get('/search');
    expect(search.status).toBe(200);
    expect(search.headers['ratelimit-policy']).toBe('"search";q=3;w=60');
    expect(search.body.search).toMatchObject({ limit: 3, remaining: 2 });
    // The route limiter ran after the global one, whose header survives on the response.
    expect(search.headers['x-global-remaining']).toBe('96');
    for (let i = 0; i < 5; i++) expect((await agent.get('/free')).status).toBe(200);
    expect((await agent.get('/free')).headers['x-global-remaining']).toBe('90');
  });
});
