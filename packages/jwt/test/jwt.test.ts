import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { jwt, requireScope, sign } from '@koa-kit/jwt';
import { listen } from '@koa-kit/testing';
import jsonwebtoken from 'jsonwebtoken';
import type { Middleware } from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { appWith, deferred, now, rsaPair, SECRET } from './helpers.js';

const run = promisify(execFile);
const rsa = rsaPair();
let current: ReturnType<typeof appWith> | undefined;
function make(...args: Parameters<typeof appWith>) {
  current = appWith(...args);
  return current;
}
afterEach(() => {
  vi.useRealTimers();
  current?.errors.assertNone();
  current = undefined;
});

const hs = (payload: Record<string, unknown> = { sub: 'u1' }, options: Partial<Parameters<typeof sign>[2]> = {}) =>
  sign(payload, SECRET, { algorithm: 'HS256', ...options });
const get = (mw: Middleware, token?: string) => {
  const { app } = make(mw);
  const req = request(app.callback()).get('/');
  return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
};

describe('jwt options', () => {
  it('requires algorithms and never accepts none', () => {
    expect(() => jwt({ secret: SECRET } as never)).toThrow(/"algorithms" option is required/);
    expect(() => jwt({ secret: SECRET, algorithms: [] })).toThrow(/"algorithms"/);
    expect(() => jwt({ secret: SECRET, algorithms: ['none' as never] })).toThrow(/never include "none"/);
    expect(() => jwt({ secret: SECRET, algorithms: ['NONE' as never] })).toThrow(/never include "none"/);
    expect(() => jwt({ secret: SECRET, algorithms: ['HS1' as never] })).toThrow(/unsupported/);
  });

  it('refuses a key of the wrong kind or strength at construction', () => {
    expect(() => jwt({ algorithms: ['HS256'] } as never)).toThrow(/"secret" option is required/);
    expect(() => jwt({ secret: rsa.publicPem, algorithms: ['HS256'] })).toThrow(/HS256 needs a secret key/);
    expect(() => jwt({ secret: rsa.publicKey, algorithms: ['HS256'] })).toThrow(/HS256 needs a secret key/);
    expect(() => jwt({ secret: SECRET, algorithms: ['RS256'] })).toThrow(/RS256 needs an asymmetric key/);
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256', 'RS256'] })).toThrow(/RS256/);
    expect(() => jwt({ secret: 'short', algorithms: ['HS256'] })).toThrow(/at least 32 bytes/);
    expect(() => jwt({ secret: SECRET, algorithms: ['HS512'] })).toThrow(/at least 64 bytes/);
    expect(() => jwt({ secret: rsaPair(1024).publicKey, algorithms: ['RS256'] })).toThrow(/2048 bits/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(() => jwt({ secret: ec.publicKey, algorithms: ['ES384'] })).toThrow(/secp384r1/);
    expect(() => jwt({ secret: ec.publicKey, algorithms: ['RS256'] })).toThrow(/RSA key/);
    expect(() =>
      jwt({ secret: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----', algorithms: ['RS256'] }),
    ).toThrow(/not a readable public key/);
    expect(() => jwt({ secret: 42 as never, algorithms: ['HS256'] })).toThrow(/"secret" option/);
  });

  it('checks the other options by name', () => {
    const ok = { secret: SECRET, algorithms: ['HS256' as const] };
    expect(() => jwt({ ...ok, realm: 'a\nb' })).toThrow(/"realm"/);
    expect(() => jwt({ ...ok, key: 'jwt' })).toThrow(/"key"/);
    expect(() => jwt({ ...ok, key: '' })).toThrow(/"key"/);
    expect(() => jwt({ ...ok, cookie: 5 as never })).toThrow(/"cookie"/);
    expect(() => jwt({ ...ok, getToken: 'x' as never })).toThrow(/"getToken"/);
    expect(() => jwt({ ...ok, isRevoked: true as never })).toThrow(/"isRevoked"/);
    expect(() => jwt({ ...ok, passthrough: 1 as never })).toThrow(/"passthrough"/);
    expect(() => jwt({ ...ok, clockTolerance: -1 })).toThrow(/"clockTolerance"/);
    expect(() => jwt({ ...ok, maxAge: 'an hour' })).toThrow(/"maxAge"/);
    expect(() => jwt({ ...ok, audience: [] })).toThrow(/"audience"/);
    expect(() => jwt({ ...ok, issuer: [1] as never })).toThrow(/"issuer"/);
    expect(() => jwt({ ...ok, subject: 3 as never })).toThrow(/"subject"/);
    expect(() => jwt({ ...ok, cache: { max: -1 } })).toThrow(/"cache.max"/);
    expect(() => jwt({ ...ok, cache: { ttl: 0 } })).toThrow(/"cache.ttl"/);
    expect(() => jwt({ ...ok, cache: 'yes' as never })).toThrow(/"cache"/);
  });

  it('leaves the caller options untouched and returns a named middleware', () => {
    const options = Object.freeze({
      secret: SECRET,
      algorithms: Object.freeze(['HS256']) as never,
      audience: Object.freeze(['a']) as never,
    });
    const mw = jwt(options);
    expect(mw.name).toBe('jwt');
    expect(options).toEqual({ secret: SECRET, algorithms: ['HS256'], audience: ['a'] });
  });
});

describe('jwt verification', () => {
  const mw = () => jwt({ secret: SECRET, algorithms: ['HS256'] });

  it('puts the payload on ctx.state.user and { token, header, payload } on ctx.state.jwt', async () => {
    const token = hs({ sub: 'u1', role: 'admin' });
    const { app } = make(mw());
    app.use((ctx) => {
      ctx.body = { user: ctx.state.user, jwt: ctx.state.jwt, frozen: Object.isFrozen(ctx.state.jwt?.payload) };
    });
    app.middleware.splice(app.middleware.length - 2, 1); // drop the default handler of appWith
    const res = await request(app.callback()).get('/').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ sub: 'u1', role: 'admin' });
    expect(res.body.jwt).toEqual({ token, header: { alg: 'HS256', typ: 'JWT' }, payload: res.body.user });
    expect(res.body.frozen).toBe(true);
  });

  it('matches the Bearer scheme case-insensitively and puts the payload under a custom key', async () => {
    const { app } = make(jwt({ secret: SECRET, algorithms: ['HS256'], key: 'principal' }));
    app.middleware.splice(app.middleware.length - 1, 0, (ctx, next) => {
      ctx.state.user = ctx.state.principal;
      return next();
    });
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await request(app.callback()).get('/').set('Authorization', `${scheme} ${hs()}`);
      expect(res.status).toBe(200);
      expect(res.body.user.sub).toBe('u1');
    }
  });

  it('answers no token with 401 TOKEN_MISSING and a challenge without an error attribute', async () => {
    const res = await get(mw());
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_MISSING');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    const basic = await get(mw()).set('Authorization', 'Basic Ym9iOmJ1aWxkZXI=');
    expect(basic.body.code).toBe('TOKEN_MISSING');
    expect(current?.seen.ran).toBe(0);
  });

  it.each([['Bearer'], ['Bearer '], ['Bearer a b'], ['bearer\tabc']])(
    'answers %j with 401 TOKEN_MALFORMED',
    async (header) => {
      const res = await get(mw()).set('Authorization', header);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('TOKEN_MALFORMED');
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="invalid_token", error_description="The token is not a well-formed JWT"',
      );
    },
  );

  it('escapes the realm in the challenge', async () => {
    const res = await get(jwt({ secret: SECRET, algorithms: ['HS256'], realm: 'my "api" \\ v2' }));
    expect(res.headers['www-authenticate']).toBe('Bearer realm="my \\"api\\" \\\\ v2"');
  });

  it('passes issuer, audience, subject, maxAge and clockTolerance to verification', async () => {
    const strict = () =>
      jwt({
        secret: SECRET,
        algorithms: ['HS256'],
        issuer: 'https://id',
        audience: ['api', /^urn:svc:/],
        subject: 'u1',
      });
    const good = hs({ sub: 'u1' }, { issuer: 'https://id', audience: 'urn:svc:x' });
    expect((await get(strict(), good)).status).toBe(200);
    expect((await get(strict(), hs({ sub: 'u1' }, { issuer: 'https://evil', audience: 'api' }))).body.code).toBe(
      'TOKEN_ISSUER_INVALID',
    );
    expect((await get(strict(), hs({ sub: 'u1' }, { issuer: 'https://id', audience: 'web' }))).body.code).toBe(
      'TOKEN_AUDIENCE_INVALID',
    );
    expect((await get(strict(), hs({ sub: 'u2' }, { issuer: 'https://id', audience: 'api' }))).body.code).toBe(
      'TOKEN_SUBJECT_INVALID',
    );
    const old = hs({ sub: 'u1', iat: now() - 120 }, { expiresIn: 3600 });
    const aged = jwt({ secret: SECRET, algorithms: ['HS256'], maxAge: 60 });
    const res = await get(aged, old);
    expect(res.body.code).toBe('TOKEN_EXPIRED');
    expect(res.headers['www-authenticate']).toContain('error_description="The token has expired"');
    expect((await get(aged, hs({ sub: 'u1' }, { noTimestamp: true }))).body.code).toBe('TOKEN_CLAIM_INVALID');
    const justExpired = hs({ sub: 'u1', exp: now() - 5 });
    expect((await get(mw(), justExpired)).body.code).toBe('TOKEN_EXPIRED');
    expect((await get(jwt({ secret: SECRET, algorithms: ['HS256'], clockTolerance: 30 }), justExpired)).status).toBe(
      200,
    );
    const early = hs({ sub: 'u1', nbf: now() + 10 });
    expect((await get(mw(), early)).body.code).toBe('TOKEN_NOT_YET_VALID');
    expect((await get(jwt({ secret: SECRET, algorithms: ['HS256'], clockTolerance: 30 }), early)).status).toBe(200);
  });

  it('reads the token from a cookie and from getToken, header first', async () => {
    const token = hs({ sub: 'cookie' });
    const viaCookie = await get(jwt({ secret: SECRET, algorithms: ['HS256'], cookie: 'at' })).set(
      'Cookie',
      `x=1; at=${token}`,
    );
    expect(viaCookie.body.user.sub).toBe('cookie');
    const both = await get(jwt({ secret: SECRET, algorithms: ['HS256'], cookie: 'at' }), hs({ sub: 'header' })).set(
      'Cookie',
      `at=${token}`,
    );
    expect(both.body.user.sub).toBe('header');
    const own = jwt({
      secret: SECRET,
      algorithms: ['HS256'],
      getToken: (ctx) => (ctx.query.access_token as string) || null,
    });
    const { app } = make(own);
    const viaQuery = await request(app.callback()).get(`/?access_token=${hs({ sub: 'query' })}`);
    expect(viaQuery.body.user.sub).toBe('query');
    const fallback = await request(app.callback())
      .get('/')
      .set('Authorization', `Bearer ${hs({ sub: 'header' })}`);
    expect(fallback.body.user.sub).toBe('header');
    const asyncOwn = jwt({ secret: SECRET, algorithms: ['HS256'], getToken: async (ctx) => ctx.get('x-token') });
    expect((await get(asyncOwn).set('X-Token', hs({ sub: 'async' }))).body.user.sub).toBe('async');
  });

  it('with passthrough leaves ctx.state.user unset for a missing or bad token and runs downstream', async () => {
    const pass = () => jwt({ secret: SECRET, algorithms: ['HS256'], passthrough: true });
    for (const token of [undefined, 'nope', hs({ sub: 'x', exp: now() - 10 })]) {
      const res = await get(pass(), token);
      expect(res.status).toBe(200);
      expect(res.body.user).toBeUndefined();
      expect(current?.seen.ran).toBe(1);
    }
    expect((await get(pass(), hs())).body.user.sub).toBe('u1');
  });

  it("carries the challenge on err.headers so Koa's default handler sends it", async () => {
    const { app, errors } = make(jwt({ secret: SECRET, algorithms: ['HS256'] }), { render: false });
    const res = await request(app.callback())
      .get('/')
      .set('Authorization', `Bearer ${hs({ exp: now() - 100 })}`);
    expect(res.status).toBe(401);
    expect(res.text).toBe('The token has expired');
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token has expired"',
    );
    expect(errors.take()).toMatchObject([{ status: 401, expose: true, code: 'TOKEN_EXPIRED' }]);
  });

  it('verifies RS256, PS256 and ES256 with PEM, private-key and KeyObject material', async () => {
    const rs = sign({ sub: 'rs' }, rsa.privatePem, { algorithm: 'RS256' });
    expect((await get(jwt({ secret: rsa.publicPem, algorithms: ['RS256'] }), rs)).body.user.sub).toBe('rs');
    expect((await get(jwt({ secret: rsa.privatePem, algorithms: ['RS256', 'PS256'] }), rs)).body.user.sub).toBe('rs');
    const ps = sign({ sub: 'ps' }, rsa.privateKey, { algorithm: 'PS256' });
    expect((await get(jwt({ secret: rsa.publicKey, algorithms: ['RS256', 'PS256'] }), ps)).body.user.sub).toBe('ps');
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const es = sign({ sub: 'es' }, ec.privateKey, { algorithm: 'ES256' });
    expect(
      (await get(jwt({ secret: ec.publicKey.export({ format: 'jwk' }), algorithms: ['ES256'] }), es)).body.user.sub,
    ).toBe('es');
    // RS256 listed but only ES keys: refused as a wrong algorithm, not a 500.
    expect((await get(jwt({ secret: rsa.publicKey, algorithms: ['RS256'] }), es)).body.code).toBe(
      'TOKEN_ALGORITHM_NOT_ALLOWED',
    );
  });

  it('works with curl as a real client', async () => {
    const { app } = make(mw());
    const server = await listen(app);
    try {
      const ok = await run('curl', ['-s', '--oauth2-bearer', hs({ sub: 'curl' }), `${server.url}/`]);
      expect(JSON.parse(ok.stdout).user.sub).toBe('curl');
      const bad = await run('curl', ['-s', '-i', '-H', 'Authorization: Bearer x.y.z', `${server.url}/`]);
      expect(bad.stdout).toMatch(/^HTTP\/1\.1 401/);
      expect(bad.stdout).toContain('WWW-Authenticate: Bearer realm="api", error="invalid_token"');
    } finally {
      await server.close();
    }
  });
});

describe('jwt key resolver (kid rotation)', () => {
  const keys: Record<string, string> = { k1: 'a'.repeat(32), k2: 'b'.repeat(32) };
  const byKid = () =>
    jwt({ secret: async (header) => (header.kid ? keys[header.kid] : undefined), algorithms: ['HS256'] });

  it('verifies with the key the kid names and refuses an unknown kid with TOKEN_KEY_UNKNOWN', async () => {
    const t1 = sign({ sub: 'one' }, keys.k1 as string, { algorithm: 'HS256', keyid: 'k1' });
    const t2 = sign({ sub: 'two' }, keys.k2 as string, { algorithm: 'HS256', keyid: 'k2' });
    expect((await get(byKid(), t1)).body.user.sub).toBe('one');
    expect((await get(byKid(), t2)).body.user.sub).toBe('two');
    const crossed = sign({ sub: 'x' }, keys.k1 as string, { algorithm: 'HS256', keyid: 'k2' });
    expect((await get(byKid(), crossed)).body.code).toBe('TOKEN_SIGNATURE_INVALID');
    const unknown = sign({ sub: 'x' }, keys.k1 as string, { algorithm: 'HS256', keyid: 'k9' });
    const res = await get(byKid(), unknown);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_KEY_UNKNOWN');
  });

  it('passes the decoded header and payload to the resolver', async () => {
    const seen: unknown[] = [];
    const mw = jwt({
      secret: (header, payload) => {
        seen.push([header.kid, payload.sub]);
        return keys.k1;
      },
      algorithms: ['HS256'],
    });
    await get(mw, sign({ sub: 'who' }, keys.k1 as string, { algorithm: 'HS256', keyid: 'k1' }));
    expect(seen).toEqual([['k1', 'who']]);
  });

  it('answers a failing resolver or an unusable key with a 500 that leaks nothing', async () => {
    const failing = jwt({
      secret: async () => {
        throw new Error('jwks endpoint said secret-xyz');
      },
      algorithms: ['HS256'],
    });
    const res = await get(failing, hs());
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('secret-xyz');
    expect(current?.errors.take()).toMatchObject([{ code: 'JWT_KEY_RESOLVER_FAILED', expose: false }]);
    const weak = await get(jwt({ secret: () => 'short', algorithms: ['HS256'] }), hs());
    expect(weak.status).toBe(500);
    expect(current?.errors.take()).toMatchObject([{ code: 'JWT_KEY_INVALID', expose: false }]);
    const garbage = await get(jwt({ secret: () => 42 as never, algorithms: ['HS256'] }), hs());
    expect(garbage.status).toBe(500);
    expect(current?.errors.take()).toMatchObject([{ code: 'JWT_KEY_INVALID', expose: false }]);
  });

  it('survives a client that aborts while the key resolver is pending', async () => {
    const entered = deferred();
    const release = deferred();
    const finished = deferred();
    let calls = 0;
    const { app } = make(
      jwt({
        secret: async () => {
          if (++calls === 1) {
            entered.resolve();
            await release.promise;
            finished.resolve();
          }
          return SECRET;
        },
        algorithms: ['HS256'],
      }),
    );
    const server = await listen(app);
    try {
      const controller = new AbortController();
      const aborted = fetch(`${server.url}/`, {
        headers: { authorization: `Bearer ${hs()}` },
        signal: controller.signal,
      });
      await entered.promise; // the request is inside the resolver
      controller.abort();
      await expect(aborted).rejects.toThrow();
      release.resolve();
      await finished.promise;
      const res = await fetch(`${server.url}/`, { headers: { authorization: `Bearer ${hs({ sub: 'next' })}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { user: { sub: string } }).user.sub).toBe('next');
    } finally {
      await server.close();
    }
  });
});

describe('jwt cache and revocation', () => {
  it('asks isRevoked on every request, cache hits included, and refuses a revoked token', async () => {
    const revoked = new Set<string>();
    const calls: string[] = [];
    const { app } = make(
      jwt({
        secret: SECRET,
        algorithms: ['HS256'],
        isRevoked: async (ctx, payload) => {
          calls.push(`${ctx.path}:${payload.jti}`);
          return revoked.has(payload.jti as string);
        },
      }),
    );
    const token = hs({ sub: 'u1', jti: 'j1' });
    for (let i = 0; i < 3; i++) {
      expect((await request(app.callback()).get('/a').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    }
    revoked.add('j1');
    const res = await request(app.callback()).get('/a').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_REVOKED');
    expect(res.headers['www-authenticate']).toContain('error_description="The token has been revoked"');
    expect(calls).toEqual(['/a:j1', '/a:j1', '/a:j1', '/a:j1']);
  });

  it('answers a failing revocation check with a 500 that leaks nothing', async () => {
    const mw = jwt({
      secret: SECRET,
      algorithms: ['HS256'],
      isRevoked: () => {
        throw new Error('redis down at 10.0.0.7');
      },
    });
    const res = await get(mw, hs());
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('10.0.0.7');
    expect(current?.errors.take()).toMatchObject([{ code: 'JWT_REVOCATION_CHECK_FAILED', expose: false }]);
  });

  it('stops accepting a cached token once it expires, and names the reason', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2030-01-01T00:00:00Z');
    vi.setSystemTime(start);
    let verifies = 0;
    const keyFor = () => {
      verifies++;
      return SECRET;
    };
    const { app } = make(jwt({ secret: keyFor, algorithms: ['HS256'] }));
    const token = hs({ sub: 'u1' }, { expiresIn: 60 });
    const call = () => request(app.callback()).get('/').set('Authorization', `Bearer ${token}`);
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    expect(verifies).toBe(1); // the second request was a cache hit
    vi.setSystemTime(start.getTime() + 61_000);
    const res = await call();
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_EXPIRED');
  });

  it('checks nbf on a cache hit too (a clock set back before nbf refuses the cached token)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2030-01-01T00:00:00Z');
    vi.setSystemTime(start);
    const { app } = make(jwt({ secret: SECRET, algorithms: ['HS256'] }));
    const token = hs({ sub: 'u1', nbf: Math.floor(start.getTime() / 1000) - 5 }, { expiresIn: 3600 });
    const call = () => request(app.callback()).get('/').set('Authorization', `Bearer ${token}`);
    expect((await call()).status).toBe(200);
    vi.setSystemTime(start.getTime() - 60_000);
    const res = await call();
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_NOT_YET_VALID');
  });

  it('re-verifies after the cache ttl, so a withdrawn key stops working', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2030-01-01T00:00:00Z');
    vi.setSystemTime(start);
    const keys: Record<string, string> = { k1: SECRET };
    const { app } = make(jwt({ secret: (h) => keys[h.kid as string], algorithms: ['HS256'], cache: { ttl: 10 } }));
    const token = sign({ sub: 'u1' }, SECRET, { algorithm: 'HS256', keyid: 'k1', expiresIn: 3600 });
    const call = () => request(app.callback()).get('/').set('Authorization', `Bearer ${token}`);
    expect((await call()).status).toBe(200);
    delete keys.k1;
    expect((await call()).status).toBe(200); // still cached
    vi.setSystemTime(start.getTime() + 11_000);
    expect((await call()).body.code).toBe('TOKEN_KEY_UNKNOWN');
  });

  it('verifies every time with cache: false, and evicts the least recently used entry', async () => {
    let verifies = 0;
    const keyFor = () => {
      verifies++;
      return SECRET;
    };
    const { app } = make(jwt({ secret: keyFor, algorithms: ['HS256'], cache: false }));
    const token = hs();
    for (let i = 0; i < 3; i++) await request(app.callback()).get('/').set('Authorization', `Bearer ${token}`);
    expect(verifies).toBe(3);

    verifies = 0;
    const small = make(jwt({ secret: keyFor, algorithms: ['HS256'], cache: { max: 2 } })).app;
    const [a, b, c] = ['a', 'b', 'c'].map((sub) => hs({ sub }));
    for (const t of [a, b, a, c, a, b]) await request(small.callback()).get('/').set('Authorization', `Bearer ${t}`);
    // a, b, (a hit), c evicts b, (a hit), b again
    expect(verifies).toBe(4);
  });

  it('hands out a copy of the payload: decorating ctx.state.user never changes what the next request sees', async () => {
    const { app } = make(jwt({ secret: SECRET, algorithms: ['HS256'] }));
    app.middleware.splice(app.middleware.length - 1, 0, (ctx, next) => {
      if (ctx.query.tamper) {
        (ctx.state.user as Record<string, unknown>).role = 'admin';
        try {
          (ctx.state.user as { nested: { a: number } }).nested.a = 2;
        } catch {
          ctx.body = `decorated ${(ctx.state.user as Record<string, unknown>).role}, nested refused`;
          return;
        }
      }
      return next();
    });
    const token = hs({ sub: 'u1', role: 'user', nested: { a: 1 } });
    const tampered = await request(app.callback()).get('/?tamper=1').set('Authorization', `Bearer ${token}`);
    expect(tampered.text).toBe('decorated admin, nested refused');
    const res = await request(app.callback()).get('/').set('Authorization', `Bearer ${token}`);
    expect(res.body.user.role).toBe('user');
  });
});

describe('requireScope', () => {
  const withScope = (...scopes: string[]) => {
    const { app } = make(jwt({ secret: SECRET, algorithms: ['HS256'], realm: 'docs' }));
    app.middleware.splice(app.middleware.length - 1, 0, requireScope(...scopes));
    return app;
  };

  it('lets a token with every scope through, from scope or scp, string or array', async () => {
    const app = withScope('read', 'write');
    for (const claims of [
      { scope: 'read write admin' },
      { scope: ['write', 'read'] },
      { scp: 'read write' },
      { scp: ['read'], scope: 'write' },
    ]) {
      const res = await request(app.callback())
        .get('/')
        .set('Authorization', `Bearer ${hs(claims)}`);
      expect(res.status).toBe(200);
    }
  });

  it('answers a missing scope with 403 INSUFFICIENT_SCOPE and the RFC 6750 challenge', async () => {
    const app = withScope('read', 'write');
    for (const claims of [{ scope: 'read' }, { scope: 'readwrite' }, { scp: [1, 'read'] }, {}]) {
      const res = await request(app.callback())
        .get('/')
        .set('Authorization', `Bearer ${hs(claims)}`);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('INSUFFICIENT_SCOPE');
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="docs", error="insufficient_scope", error_description="The token lacks a required scope", scope="read write"',
      );
    }
    expect(current?.seen.ran).toBe(0);
  });

  it('answers 401 TOKEN_MISSING behind a passthrough jwt() without a token', async () => {
    const { app } = make(jwt({ secret: SECRET, algorithms: ['HS256'], passthrough: true, realm: 'pt' }));
    app.middleware.splice(app.middleware.length - 1, 0, requireScope('read'));
    const res = await request(app.callback()).get('/');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_MISSING');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="pt"');
  });

  it('validates its scopes when called', () => {
    expect(() => requireScope()).toThrow(TypeError);
    expect(() => requireScope('a b')).toThrow(/not a valid scope token/);
    expect(() => requireScope('a"b')).toThrow(/not a valid scope token/);
    expect(() => requireScope(5 as never)).toThrow(TypeError);
    expect(requireScope('read').name).toBe('requireScope');
  });
});

describe('sign', () => {
  it('requires an algorithm and never signs with none', () => {
    expect(() => sign({ sub: 'x' }, SECRET, undefined as never)).toThrow(/"algorithm"/);
    expect(() => sign({ sub: 'x' }, SECRET, {} as never)).toThrow(/"algorithm" option is required/);
    expect(() => sign({ sub: 'x' }, SECRET, { algorithm: 'none' as never })).toThrow(/never "none"/);
    expect(() => sign('x' as never, SECRET, { algorithm: 'HS256' })).toThrow(/payload/);
  });

  it('refuses a key that does not fit the algorithm', () => {
    expect(() => sign({}, rsa.publicPem, { algorithm: 'HS256' })).toThrow(/not a readable private key/);
    expect(() => sign({}, rsa.privatePem, { algorithm: 'HS256' })).toThrow(/HS256 needs a secret key/);
    expect(() => sign({}, rsa.publicKey, { algorithm: 'RS256' })).toThrow(/public key cannot sign/);
    expect(() => sign({}, SECRET, { algorithm: 'RS256' })).toThrow(/asymmetric/);
    expect(() => sign({}, 'short', { algorithm: 'HS256' })).toThrow(/32 bytes/);
  });

  it('expires tokens after 15 minutes by default, and honours expiresIn or an exp claim', () => {
    const d = jsonwebtoken.decode(sign({ sub: 'x' }, SECRET, { algorithm: 'HS256' })) as Record<string, number>;
    expect((d.exp as number) - (d.iat as number)).toBe(900);
    const e = jsonwebtoken.decode(sign({ sub: 'x' }, SECRET, { algorithm: 'HS256', expiresIn: '2h' })) as Record<
      string,
      number
    >;
    expect((e.exp as number) - (e.iat as number)).toBe(7200);
    const exp = now() + 42;
    expect((jsonwebtoken.decode(sign({ exp }, SECRET, { algorithm: 'HS256' })) as Record<string, number>).exp).toBe(
      exp,
    );
  });

  it('sets kid, aud, iss, sub and jti, and does not mutate its arguments', () => {
    const payload = Object.freeze({ role: 'x' });
    const options = Object.freeze({
      algorithm: 'RS256' as const,
      keyid: 'k1',
      audience: 'api',
      issuer: 'me',
      subject: 's',
      jwtid: 'j',
    });
    const token = sign(payload, rsa.privatePem, options);
    const d = jsonwebtoken.decode(token, { complete: true }) as unknown as {
      header: Record<string, unknown>;
      payload: Record<string, unknown>;
    };
    expect(d.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'k1' });
    expect(d.payload).toMatchObject({ role: 'x', aud: 'api', iss: 'me', sub: 's', jti: 'j' });
    expect(payload).toEqual({ role: 'x' });
    expect(jsonwebtoken.verify(token, rsa.publicKey, { algorithms: ['RS256'] })).toMatchObject({ role: 'x' });
  });
});
