import { createHmac } from 'node:crypto';
import { jwt, requireScope, sign } from '@koa-kit/jwt';
import Koa, { type Middleware } from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { appWith, b64url, now, rsaPair, SECRET } from '../helpers.js';

// Issue 21: what a koa-jwt user passes must be applied or refused, never silently ignored.
const rsa = rsaPair();
let current: ReturnType<typeof appWith> | undefined;
afterEach(() => {
  current?.errors.assertNone();
  current = undefined;
});
const hs = (payload: Record<string, unknown> = { sub: 'u1' }, options: Partial<Parameters<typeof sign>[2]> = {}) =>
  sign(payload, SECRET, { algorithm: 'HS256', ...options });
const get = (mw: Middleware, token?: string) => {
  current = appWith(mw);
  const req = request(current.app.callback()).get('/');
  return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
};
const forge = (header: object, payload: object, key = SECRET) => {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
};

describe('jsonwebtoken verify options', () => {
  it('applies jwtid: a token with another jti is refused', async () => {
    const mw = jwt({ secret: SECRET, algorithms: ['HS256'], jwtid: 'j1' });
    expect((await get(mw, hs({ sub: 'u1' }, { jwtid: 'j1' }))).status).toBe(200);
    const res = await get(mw, hs({ sub: 'u1' }, { jwtid: 'j2' }));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_CLAIM_INVALID');
    expect((await get(mw, hs({ sub: 'u1' }))).body.code).toBe('TOKEN_CLAIM_INVALID');
  });

  it('applies nonce', async () => {
    const mw = jwt({ secret: SECRET, algorithms: ['HS256'], nonce: 'n-1' });
    expect((await get(mw, hs({ sub: 'u1', nonce: 'n-1' }))).status).toBe(200);
    expect((await get(mw, hs({ sub: 'u1', nonce: 'n-2' }))).body.code).toBe('TOKEN_CLAIM_INVALID');
  });

  it('refuses options that would weaken verification or cannot be honoured, naming them', () => {
    const base = { secret: SECRET, algorithms: ['HS256' as const] };
    expect(() => jwt({ ...base, ignoreExpiration: true } as never)).toThrow(/"ignoreExpiration"/);
    expect(() => jwt({ ...base, ignoreNotBefore: true } as never)).toThrow(/"ignoreNotBefore"/);
    expect(() => jwt({ ...base, clockTimestamp: 1 } as never)).toThrow(/"clockTimestamp"/);
    expect(() => jwt({ ...base, complete: true } as never)).toThrow(/"complete".*ctx\.state\.jwt/);
    expect(() => jwt({ ...base, allowInvalidAsymmetricKeyTypes: true } as never)).toThrow(/"allowInvalid/);
    expect(() => jwt({ ...base, debug: true } as never)).toThrow(/"debug"/);
    expect(() => jwt({ ...base, secrte: 'x' } as never)).toThrow(/unknown option "secrte"/);
    // Asking for the default is harmless: koa-jwt set-ups often spell these out.
    expect(() => jwt({ ...base, ignoreExpiration: false, complete: false, debug: false } as never)).not.toThrow();
    expect(() => jwt({ ...base, jwtid: 5 } as never)).toThrow(/"jwtid"/);
    expect(() => jwt({ ...base, nonce: '' } as never)).toThrow(/"nonce"/);
  });

  it('takes maxAge as a timespan string, like jsonwebtoken and sign()', async () => {
    const mw = jwt({ secret: SECRET, algorithms: ['HS256'], maxAge: '1h' });
    expect((await get(mw, hs({ sub: 'u1', iat: now() - 60 }))).status).toBe(200);
    expect((await get(mw, hs({ sub: 'u1', iat: now() - 7200 }, { expiresIn: '1d' }))).body.code).toBe('TOKEN_EXPIRED');
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256'], maxAge: 'soon' })).toThrow(/"maxAge"/);
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256'], maxAge: '0s' })).toThrow(/"maxAge"/);
  });
});

describe('key resolution', () => {
  it('answers 401 TOKEN_KEY_UNKNOWN when a resolver reports a missing key by throwing (jwks-rsa style)', async () => {
    class SigningKeyNotFoundError extends Error {
      override name = 'SigningKeyNotFoundError';
    }
    const mw = jwt({
      secret: async () => {
        throw new SigningKeyNotFoundError('Unable to find a signing key that matches "k404"');
      },
      algorithms: ['RS256'],
    });
    const res = await get(mw, sign({ sub: 'u1' }, rsa.privateKey, { algorithm: 'RS256', keyid: 'k404' }));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_KEY_UNKNOWN');
  });

  it('never hands prototype names as kid to a resolver doing keys[header.kid]', async () => {
    const keys: Record<string, unknown> = { k1: rsa.publicPem };
    const mw = jwt({ secret: (header) => keys[header.kid as string] as string, algorithms: ['RS256'] });
    for (const kid of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const res = await get(mw, sign({ sub: 'u1' }, rsa.privateKey, { algorithm: 'RS256', keyid: kid }));
      expect(res.status, kid).toBe(401);
      expect(res.body.code, kid).toBe('TOKEN_KEY_UNKNOWN');
    }
    expect((await get(mw, sign({ sub: 'u1' }, rsa.privateKey, { algorithm: 'RS256', keyid: 'k1' }))).status).toBe(200);
  });

  it('passes ctx to the resolver (per-tenant keys)', async () => {
    const other = 'o'.repeat(32);
    const byTenant: Record<string, string> = { a: SECRET, b: other };
    const mw = jwt({ secret: (_h, _p, ctx) => byTenant[ctx.get('x-tenant')], algorithms: ['HS256'] });
    current = appWith(mw);
    const token = hs();
    const ok = await request(current.app.callback()).get('/').set('x-tenant', 'a').auth(token, { type: 'bearer' });
    expect(ok.status).toBe(200);
    const wrong = await request(current.app.callback()).get('/').set('x-tenant', 'b').auth(token, { type: 'bearer' });
    expect(wrong.body.code).toBe('TOKEN_SIGNATURE_INVALID');
  });

  it('accepts several secrets at once (rotation without a kid)', async () => {
    const next = 'n'.repeat(32);
    const mw = jwt({ secret: [next, SECRET], algorithms: ['HS256'] });
    expect((await get(mw, hs())).status).toBe(200);
    expect((await get(mw, sign({ sub: 'u1' }, next, { algorithm: 'HS256' }))).status).toBe(200);
    expect((await get(mw, sign({ sub: 'u1' }, 'x'.repeat(32), { algorithm: 'HS256' }))).body.code).toBe(
      'TOKEN_SIGNATURE_INVALID',
    );
    expect((await get(mw, hs({ sub: 'u1', exp: now() - 5 }))).body.code).toBe('TOKEN_EXPIRED');
    expect(() => jwt({ secret: [], algorithms: ['HS256'] })).toThrow(/"secret"/);
    expect(() => jwt({ secret: [SECRET, 'short'], algorithms: ['HS256'] })).toThrow(/32 bytes/);
  });
});

describe('revocation and canonical tokens', () => {
  it('gives isRevoked the raw token, as koa-jwt does', async () => {
    const revoked = hs({ sub: 'u1', n: 1 });
    const seen: unknown[] = [];
    const mw = jwt({
      secret: SECRET,
      algorithms: ['HS256'],
      isRevoked: (_ctx, _payload, token) => {
        seen.push(token);
        return token === revoked;
      },
    });
    expect((await get(mw, revoked)).body.code).toBe('TOKEN_REVOKED');
    expect((await get(mw, hs({ sub: 'u1', n: 2 }))).status).toBe(200);
    expect(seen[0]).toBe(revoked);
  });

  it('refuses a signature whose last character is changed in its unused bits (non-canonical base64url)', async () => {
    const token = sign({ sub: 'u1' }, rsa.privateKey, { algorithm: 'RS256' });
    const last = token.at(-1) as string;
    // A 256-byte RS256 signature is 342 characters: the last carries 4 unused bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) | 1] as string;
    expect(twin).not.toBe(last);
    const variant = token.slice(0, -1) + twin;
    expect(Buffer.from(variant.split('.')[2] as string, 'base64url')).toEqual(
      Buffer.from(token.split('.')[2] as string, 'base64url'),
    );
    const mw = jwt({ secret: rsa.publicKey, algorithms: ['RS256'], isRevoked: (_c, _p, t) => t === token });
    expect((await get(mw, token)).body.code).toBe('TOKEN_REVOKED');
    const res = await get(mw, variant);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_MALFORMED');
  });

  it('refuses an unknown crit header on a validly signed token (RFC 7515 4.1.11)', async () => {
    const mw = jwt({ secret: SECRET, algorithms: ['HS256'] });
    const token = forge({ alg: 'HS256', crit: ['exp-policy'], 'exp-policy': 1 }, { sub: 'u1' });
    const res = await get(mw, token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_INVALID');
  });

  it('refuses an iat beyond clockTolerance in the future, so maxAge bounds a future-dated token', async () => {
    const mw = jwt({ secret: SECRET, algorithms: ['HS256'], maxAge: 60, clockTolerance: 5 });
    const res = await get(mw, hs({ sub: 'u1', iat: now() + 365 * 86400 }, { expiresIn: '400d' }));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_CLAIM_INVALID');
    expect((await get(mw, hs({ sub: 'u1', iat: now() + 3 }))).status).toBe(200);
    // Without maxAge, iat bounds nothing: a little issuer clock skew is not a refusal.
    expect((await get(jwt({ secret: SECRET, algorithms: ['HS256'] }), hs({ sub: 'u1', iat: now() + 2 }))).status).toBe(
      200,
    );
  });
});

describe('state', () => {
  it('keeps two jwt() apart with tokenKey and jwtKey; requireScope checks ctx.state.jwt', async () => {
    const refresh = 'r'.repeat(32);
    const app = new Koa();
    app.use(jwt({ secret: SECRET, algorithms: ['HS256'] }));
    app.use(
      jwt({
        secret: refresh,
        algorithms: ['HS256'],
        key: 'refresh',
        jwtKey: 'refreshJwt',
        tokenKey: 'refreshToken',
        getToken: (ctx) => ctx.get('x-refresh'),
      }),
    );
    app.use(requireScope('notes:read'));
    app.use((ctx) => {
      (ctx.state.user as Record<string, unknown>).decorated = true; // the payload on ctx.state.user can be decorated
      ctx.body = {
        user: ctx.state.user,
        refresh: ctx.state.refresh,
        token: ctx.state.refreshToken,
        jwt: ctx.state.jwt?.payload.sub,
        refreshJwt: (ctx.state.refreshJwt as { payload: { sub: string } }).payload.sub,
      };
    });
    const refreshToken = sign({ sub: 'r1' }, refresh, { algorithm: 'HS256' });
    const res = await request(app.callback())
      .get('/')
      .auth(hs({ sub: 'a1', scope: 'notes:read' }), { type: 'bearer' })
      .set('x-refresh', refreshToken);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ sub: 'a1', decorated: true });
    expect(res.body.refresh.sub).toBe('r1');
    expect(res.body.token).toBe(refreshToken);
    expect(res.body.jwt).toBe('a1');
    expect(res.body.refreshJwt).toBe('r1');
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256'], tokenKey: 'user' })).toThrow(/"tokenKey"/);
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256'], jwtKey: 'user' })).toThrow(/"jwtKey"/);
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256'], key: '__proto__' })).toThrow(/"key"/);
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256'], tokenKey: 'constructor' })).toThrow(/"tokenKey"/);
  });

  it('puts the cause of a refusal on err.cause and, with passthrough, on ctx.state.jwtOriginalError', async () => {
    let thrown: { cause?: unknown; code?: string } | undefined;
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        thrown = err as typeof thrown;
        ctx.status = 401;
      }
    });
    app.use(jwt({ secret: SECRET, algorithms: ['HS256'] }));
    await request(app.callback())
      .get('/')
      .auth(hs({ sub: 'u1', exp: now() - 5 }), { type: 'bearer' });
    expect(thrown?.code).toBe('TOKEN_EXPIRED');
    expect((thrown?.cause as Error | undefined)?.name).toBe('TokenExpiredError');

    const pass = new Koa();
    pass.use(jwt({ secret: SECRET, algorithms: ['HS256'], passthrough: true }));
    pass.use((ctx) => {
      const err = ctx.state.jwtOriginalError as { code: string; cause: Error } | undefined;
      ctx.body = { code: err?.code, cause: err?.cause?.name, user: ctx.state.user ?? null };
    });
    const res = await request(pass.callback())
      .get('/')
      .auth(hs({ sub: 'u1', exp: now() - 5 }), { type: 'bearer' });
    expect(res.body).toEqual({ code: 'TOKEN_EXPIRED', cause: 'TokenExpiredError', user: null });
  });
});

describe('claims', () => {
  it('takes issuer and subject as RegExp or arrays', async () => {
    const mw = jwt({
      secret: SECRET,
      algorithms: ['HS256'],
      issuer: [/^https:\/\/id\.example\/t\/\w+$/, 'x'],
      subject: /^user:/,
    });
    expect((await get(mw, hs({ iss: 'https://id.example/t/acme', sub: 'user:1' }))).status).toBe(200);
    expect((await get(mw, hs({ iss: 'x', sub: 'user:1' }))).status).toBe(200);
    expect((await get(mw, hs({ iss: 'https://evil/t/acme', sub: 'user:1' }))).body.code).toBe('TOKEN_ISSUER_INVALID');
    expect((await get(mw, hs({ iss: 'x', sub: 'svc:1' }))).body.code).toBe('TOKEN_SUBJECT_INVALID');
    expect((await get(mw, hs({ sub: 'user:1' }))).body.code).toBe('TOKEN_ISSUER_INVALID');
    expect((await get(mw, hs({ iss: ['x'], sub: 'user:1' }))).body.code).toBe('TOKEN_ISSUER_INVALID');
  });

  it('requires requiredClaims and checks typ with checkTyp', async () => {
    const mw = jwt({ secret: SECRET, algorithms: ['HS256'], requiredClaims: ['sub', 'tenant'], checkTyp: 'at+jwt' });
    const at = (payload: object, typ: string) => forge({ alg: 'HS256', typ }, payload);
    expect((await get(mw, at({ sub: 'u', tenant: 't' }, 'at+jwt'))).status).toBe(200);
    expect((await get(mw, at({ sub: 'u', tenant: 't' }, 'application/AT+JWT'))).status).toBe(200);
    expect((await get(mw, at({ sub: 'u' }, 'at+jwt'))).body.code).toBe('TOKEN_CLAIM_INVALID');
    expect((await get(mw, at({ sub: 'u', tenant: 't' }, 'JWT'))).body.code).toBe('TOKEN_INVALID');
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256'], requiredClaims: 'sub' as never })).toThrow(
      /"requiredClaims"/,
    );
    expect(() => jwt({ secret: SECRET, algorithms: ['HS256'], checkTyp: 1 as never })).toThrow(/"checkTyp"/);
  });
});
