import { isIP, isIPv4 } from 'node:net';
import Router from '@koa/router';
import { rateLimit } from '@koa-kit/rate-limit';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { clientKey, isIPv4From } from '../src/client-id.js';
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

describe("default id without a proxy: the socket address, read past Koa's header lookup", () => {
  it('honours an address set upstream with ctx.request.ip', async () => {
    const app = new Koa();
    // e.g. a CDN's client-address header, trusted by the app's own middleware
    app.use((ctx, next) => {
      const given = ctx.get('x-test-client');
      if (given) ctx.request.ip = given;
      return next();
    });
    app.use(rateLimit({ max: 1 }));
    app.use((ctx) => {
      ctx.body = ctx.ip;
    });
    const agent = request(app.callback());
    expect((await agent.get('/').set('x-test-client', '198.51.100.1')).status).toBe(200);
    expect((await agent.get('/').set('x-test-client', '198.51.100.2')).status).toBe(200);
    expect((await agent.get('/').set('x-test-client', '198.51.100.1')).status).toBe(429);
    expect((await agent.get('/')).status).toBe(200); // the socket's own address, a fourth client
    expect((await agent.get('/')).status).toBe(429);
  });

  it('uses an ip accessor the app redefined', async () => {
    for (const target of ['context', 'request'] as const) {
      const app = new Koa();
      Object.defineProperty(app[target], 'ip', {
        get(this: Koa.Context | Koa.Request) {
          return (this as Koa.Request).get?.('x-test-client') || (this as Koa.Context).request.get('x-test-client');
        },
      });
      app.use(rateLimit({ max: 1 }));
      app.use((ctx) => {
        ctx.body = 'ok';
      });
      const agent = request(app.callback());
      expect((await agent.get('/').set('x-test-client', '203.0.113.1')).status, target).toBe(200);
      expect((await agent.get('/').set('x-test-client', '203.0.113.2')).status, target).toBe(200);
      expect((await agent.get('/').set('x-test-client', '203.0.113.1')).status, target).toBe(429);
    }
  });

  it('follows app.proxy switched on after the first request', async () => {
    const { app } = makeApp(rateLimit({ max: 1 }));
    const agent = request(app.callback());
    expect((await agent.get('/').set('X-Forwarded-For', '192.0.2.10')).status).toBe(200);
    expect((await agent.get('/').set('X-Forwarded-For', '192.0.2.11')).status).toBe(429);
    app.proxy = true;
    expect((await agent.get('/').set('X-Forwarded-For', '192.0.2.10')).status).toBe(200);
    expect((await agent.get('/').set('X-Forwarded-For', '192.0.2.11')).status).toBe(200);
    expect((await agent.get('/').set('X-Forwarded-For', '192.0.2.10')).status).toBe(429);
  });

  it('keeps apps apart when one limiter serves two apps', async () => {
    const limiter = rateLimit({ max: 1 });
    const plain = makeApp(limiter).app;
    const proxied = makeApp(limiter).app;
    proxied.proxy = true;
    expect((await request(plain.callback()).get('/')).status).toBe(200);
    expect((await request(proxied.callback()).get('/').set('X-Forwarded-For', '192.0.2.20')).status).toBe(200);
    expect((await request(plain.callback()).get('/')).status).toBe(429);
  });
});

describe('isIPv4From()', () => {
  it('agrees with net.isIPv4 on addresses, near misses and random strings', () => {
    const samples = [
      '0.0.0.0',
      '255.255.255.255',
      '1.2.3.4',
      '127.0.0.1',
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.',
      '.1.2.3',
      '01.2.3.4',
      '1.02.3.4',
      '00.0.0.0',
      '1..2.3',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1.2.3.-4',
      '1.2.3.4a',
      '',
      '.',
      '....',
      '999.0.0.0',
      '25.25.25.250',
      '1e2.0.0.0',
      '0x1.2.3.4',
      '１.2.3.4',
      '1.2.3.4\n',
    ];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = '0123456789.0123456789.5a: ';
    const parts = ['0', '00', '01', '7', '99', '199', '200', '249', '250', '255', '256', '300', '1000', ''];
    for (let i = 0; i < 20000; i++) {
      let text = '';
      if (i % 2 === 0) {
        const len = 1 + rand(17);
        for (let j = 0; j < len; j++) text += alphabet[rand(alphabet.length)];
      } else {
        const count = 3 + rand(3);
        const picked = [];
        for (let j = 0; j < count; j++) picked.push(rand(3) === 0 ? parts[rand(parts.length)] : String(rand(300)));
        text = picked.join('.');
      }
      samples.push(text);
    }
    for (const text of samples) {
      expect([text, isIPv4From(`::ffff:${text}`, 7)]).toEqual([text, isIPv4(text)]);
      expect([text, isIPv4From(text, 0)]).toEqual([text, isIPv4(text)]);
    }
    expect(samples.filter((t) => isIP(t) === 4).length).toBeGreaterThan(1000);
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
