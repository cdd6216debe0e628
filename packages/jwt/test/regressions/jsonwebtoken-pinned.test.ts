import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { jwt } from '@koa-kit/jwt';
import jsonwebtoken from 'jsonwebtoken';
import type { Middleware } from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { appWith, b64url, now, SECRET } from '../helpers.js';

// Issue 25: jwt() mapped jsonwebtoken's errors to codes by their exact messages, so a reworded
// patch release would have turned them all into TOKEN_INVALID. It now asks jsonwebtoken only for
// the signature and the time claims and maps by class; everything else is checked by jwt() itself.
const { JsonWebTokenError, NotBeforeError, TokenExpiredError } = jsonwebtoken;
// Signed by hand: the payload goes out exactly as written (sign() would refuse a string exp).
const forge = (payload: Record<string, unknown>, key: string) => {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
};
const hs = (payload: Record<string, unknown>) => forge(payload, SECRET);
const other = (payload: Record<string, unknown>) => forge(payload, 'x'.repeat(32));
const verifyAs =
  (token: string, options: jsonwebtoken.VerifyOptions = {}) =>
  () =>
    jsonwebtoken.verify(token, SECRET, { algorithms: ['HS256'], ...options });

describe('jsonwebtoken, pinned: what jwt() relies on (fails on an upgrade that changes it)', () => {
  it('is major version 9', () => {
    const { version } = createRequire(import.meta.url)('jsonwebtoken/package.json') as { version: string };
    expect(version).toMatch(/^9\./);
  });

  it('reports time failures with its two subclasses, and everything else as a plain JsonWebTokenError', () => {
    expect(new TokenExpiredError('m', new Date())).toBeInstanceOf(JsonWebTokenError);
    expect(new NotBeforeError('m', new Date())).toBeInstanceOf(JsonWebTokenError);
    expect(verifyAs(hs({ exp: now() - 10 }))).toThrow(TokenExpiredError);
    expect(verifyAs(hs({ nbf: now() + 60 }))).toThrow(NotBeforeError);
    expect(verifyAs(hs({ iat: now() - 120 }), { maxAge: 60 })).toThrow(TokenExpiredError);
    const badSignature = (() => {
      try {
        verifyAs(other({ sub: 'u1' }))();
      } catch (err) {
        return err;
      }
    })();
    expect(badSignature).toBeInstanceOf(JsonWebTokenError);
    expect(badSignature).not.toBeInstanceOf(TokenExpiredError);
    expect(badSignature).not.toBeInstanceOf(NotBeforeError);
  });

  it('checks the signature before the claims, and no claim it is not asked about', () => {
    expect(verifyAs(other({ exp: now() - 10 }))).toThrow(/^invalid signature$/);
    expect(verifyAs(hs({ aud: 'other', iss: 'other', sub: 'other', jti: 'other', nonce: 'x' }))).not.toThrow();
  });

  it('still refuses the claim types jwt() checks before calling it (so that check must stay first)', () => {
    expect(verifyAs(hs({ exp: '1' }))).toThrow(/^invalid exp value$/);
    expect(verifyAs(hs({ nbf: '1' }))).toThrow(/^invalid nbf value$/);
    expect(verifyAs(hs({ sub: 'u1' }), { maxAge: 60 })).toThrow(/^iat required when maxAge is specified$/);
  });

  it('words its errors as jwt() last saw them (a change here is a reason to re-read verify.js)', () => {
    expect(verifyAs(hs({ exp: now() - 10 }))).toThrow(/^jwt expired$/);
    expect(verifyAs(hs({ nbf: now() + 60 }))).toThrow(/^jwt not active$/);
    expect(verifyAs(hs({ iat: now() - 120 }), { maxAge: 60 })).toThrow(/^maxAge exceeded$/);
  });
});

describe('jwt() does not read jsonwebtoken messages', () => {
  let current: ReturnType<typeof appWith> | undefined;
  afterEach(() => {
    vi.restoreAllMocks();
    current?.errors.assertNone();
    current = undefined;
  });
  const codeOf = async (mw: Middleware, token: string) => {
    current = appWith(mw);
    const res = await request(current.app.callback()).get('/').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    return res.body.code as string;
  };

  it('gives the same codes when every jsonwebtoken message is reworded', async () => {
    const verify = jsonwebtoken.verify.bind(jsonwebtoken);
    vi.spyOn(jsonwebtoken, 'verify').mockImplementation(((...args: Parameters<typeof verify>) => {
      try {
        return verify(...args);
      } catch (err) {
        (err as Error).message = `reworded: ${(err as Error).message}`;
        throw err;
      }
    }) as typeof verify);
    const mw = jwt({ secret: SECRET, algorithms: ['HS256'], audience: 'api', jwtid: 'j1', nonce: 'n1', maxAge: 60 });
    const ok = { aud: 'api', jti: 'j1', nonce: 'n1', iat: now() };
    expect(await codeOf(mw, other(ok))).toBe('TOKEN_SIGNATURE_INVALID');
    expect(await codeOf(mw, hs({ ...ok, exp: now() - 10 }))).toBe('TOKEN_EXPIRED');
    expect(await codeOf(mw, hs({ ...ok, nbf: now() + 60 }))).toBe('TOKEN_NOT_YET_VALID');
    expect(await codeOf(mw, hs({ ...ok, aud: 'web' }))).toBe('TOKEN_AUDIENCE_INVALID');
    expect(await codeOf(mw, hs({ ...ok, jti: 'j2' }))).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeOf(mw, hs({ ...ok, nonce: 'n2' }))).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeOf(mw, hs({ ...ok, exp: 'soon' }))).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeOf(mw, hs({ aud: 'api', jti: 'j1', nonce: 'n1' }))).toBe('TOKEN_CLAIM_INVALID');
    expect(jsonwebtoken.verify).toHaveBeenCalled();
  });
});
