import { createHmac, randomBytes } from 'node:crypto';
import net from 'node:net';
import { jwt, sign } from '@koa-kit/jwt';
import { listen } from '@koa-kit/testing';
import type { Middleware } from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { appWith, b64url, now, rsaPair, SECRET } from './helpers.js';

// The attack table: every hostile token is a 401 with its own code and an RFC 6750 challenge,
// downstream never runs, and the app emits no error (so never a 500).

const rsa = rsaPair();
const other = rsaPair();
let current: ReturnType<typeof appWith> | undefined;
afterEach(() => {
  current?.errors.assertNone();
  current = undefined;
});

const hmac = (input: string, key: string | Buffer) => createHmac('sha256', key).update(input).digest('base64url');
const forge = (header: object, payload: object, key: string | Buffer) => {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${hmac(input, key)}`;
};
const good = () =>
  sign({ sub: 'u1', role: 'user' }, rsa.privateKey, {
    algorithm: 'RS256',
    keyid: 'k1',
    issuer: 'https://id',
    audience: 'api',
  });
const rsVerifier = () => jwt({ secret: rsa.publicPem, algorithms: ['RS256'], issuer: 'https://id', audience: 'api' });
const hsVerifier = () => jwt({ secret: SECRET, algorithms: ['HS256'] });
const kidVerifier = () =>
  jwt({
    secret: async (header) => (header.kid === 'k1' ? rsa.publicPem : undefined),
    algorithms: ['RS256', 'HS256'],
    issuer: 'https://id',
    audience: 'api',
  });

function edit(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  change(payload);
  return `${h}.${b64url(payload)}.${s}`;
}

const ATTACKS: Array<[string, () => Middleware, () => string, string]> = [
  [
    'alg none, empty signature',
    hsVerifier,
    () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'admin' })}.`,
    'TOKEN_ALGORITHM_NOT_ALLOWED',
  ],
  [
    'alg NoNe with a signature',
    hsVerifier,
    () => `${b64url({ alg: 'NoNe' })}.${b64url({ sub: 'admin' })}.${hmac('x', SECRET)}`,
    'TOKEN_ALGORITHM_NOT_ALLOWED',
  ],
  [
    'alg none against an RS256 verifier',
    rsVerifier,
    () => `${b64url({ alg: 'none' })}.${b64url({ sub: 'admin', iss: 'https://id', aud: 'api' })}.`,
    'TOKEN_ALGORITHM_NOT_ALLOWED',
  ],
  [
    'HS256 signed with the RSA public key PEM as HMAC secret, RS256 verifier',
    rsVerifier,
    () =>
      forge(
        { alg: 'HS256', typ: 'JWT' },
        { sub: 'admin', iss: 'https://id', aud: 'api', exp: now() + 60 },
        rsa.publicPem,
      ),
    'TOKEN_ALGORITHM_NOT_ALLOWED',
  ],
  [
    'HS256 signed with the RSA public key PEM, resolver allowing RS256 and HS256',
    kidVerifier,
    () =>
      forge(
        { alg: 'HS256', kid: 'k1' },
        { sub: 'admin', iss: 'https://id', aud: 'api', exp: now() + 60 },
        rsa.publicPem,
      ),
    'TOKEN_ALGORITHM_NOT_ALLOWED',
  ],
  ['stripped signature', rsVerifier, () => good().replace(/\.[^.]+$/, '.'), 'TOKEN_SIGNATURE_INVALID'],
  [
    'signature of another token',
    rsVerifier,
    () =>
      `${good().split('.').slice(0, 2).join('.')}.${sign({ a: 1 }, rsa.privateKey, { algorithm: 'RS256' }).split('.')[2]}`,
    'TOKEN_SIGNATURE_INVALID',
  ],
  [
    'signed with another RSA key',
    rsVerifier,
    () => sign({ sub: 'u1', iss: 'https://id', aud: 'api' }, other.privateKey, { algorithm: 'RS256' }),
    'TOKEN_SIGNATURE_INVALID',
  ],
  [
    'payload edited after signing',
    rsVerifier,
    () =>
      edit(good(), (p) => {
        p.role = 'admin';
      }),
    'TOKEN_SIGNATURE_INVALID',
  ],
  [
    'HS256 payload edited after signing',
    hsVerifier,
    () =>
      edit(sign({ sub: 'u1' }, SECRET, { algorithm: 'HS256' }), (p) => {
        p.sub = 'root';
      }),
    'TOKEN_SIGNATURE_INVALID',
  ],
  [
    'expired',
    rsVerifier,
    () => sign({ iss: 'https://id', aud: 'api', exp: now() - 10 }, rsa.privateKey, { algorithm: 'RS256' }),
    'TOKEN_EXPIRED',
  ],
  [
    'not yet valid (nbf)',
    rsVerifier,
    () => sign({ iss: 'https://id', aud: 'api', nbf: now() + 3600 }, rsa.privateKey, { algorithm: 'RS256' }),
    'TOKEN_NOT_YET_VALID',
  ],
  [
    'wrong audience',
    rsVerifier,
    () => sign({ iss: 'https://id', aud: 'admin-api' }, rsa.privateKey, { algorithm: 'RS256' }),
    'TOKEN_AUDIENCE_INVALID',
  ],
  [
    'wrong issuer',
    rsVerifier,
    () => sign({ iss: 'https://evil', aud: 'api' }, rsa.privateKey, { algorithm: 'RS256' }),
    'TOKEN_ISSUER_INVALID',
  ],
  [
    'exp that is not a number',
    hsVerifier,
    () => forge({ alg: 'HS256' }, { exp: 'never' }, SECRET),
    'TOKEN_CLAIM_INVALID',
  ],
  [
    'a kid that does not exist',
    kidVerifier,
    () => sign({ iss: 'https://id', aud: 'api' }, rsa.privateKey, { algorithm: 'RS256', keyid: 'k404' }),
    'TOKEN_KEY_UNKNOWN',
  ],
  [
    'a kid that is not a string',
    kidVerifier,
    () => forge({ alg: 'HS256', kid: { $ne: 1 } }, { sub: 'x' }, SECRET),
    'TOKEN_KEY_UNKNOWN',
  ],
  ['8 kB of base64url junk', hsVerifier, () => randomBytes(6144).toString('base64url'), 'TOKEN_MALFORMED'],
  [
    '8 kB of junk in three segments',
    hsVerifier,
    () => [2730, 2730, 2730].map((n) => randomBytes(n).toString('base64url')).join('.'),
    'TOKEN_MALFORMED',
  ],
  ['8 kB of dots', hsVerifier, () => '.'.repeat(8192), 'TOKEN_MALFORMED'],
  [
    'non-UTF-8 bytes in the header segment',
    hsVerifier,
    () => `${b64url(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))}.${b64url({})}.${hmac('x', SECRET)}`,
    'TOKEN_MALFORMED',
  ],
  [
    'non-UTF-8 bytes in the payload segment',
    hsVerifier,
    () =>
      forge({ alg: 'HS256' }, {}, SECRET).replace(
        /^([^.]+)\.[^.]+/,
        `$1.${b64url(Buffer.from('{"sub":"\xc3\x28"}', 'latin1'))}`,
      ),
    'TOKEN_MALFORMED',
  ],
  [
    'a payload that is a JSON string',
    hsVerifier,
    () => `${b64url({ alg: 'HS256' })}.${b64url('"admin"')}.${hmac('x', SECRET)}`,
    'TOKEN_MALFORMED',
  ],
  [
    'a header without alg',
    hsVerifier,
    () => `${b64url({ typ: 'JWT' })}.${b64url({})}.${hmac('x', SECRET)}`,
    'TOKEN_MALFORMED',
  ],
  [
    'a 6 kB deeply nested JSON payload',
    hsVerifier,
    () => `${b64url({ alg: 'HS256' })}.${b64url(`${'['.repeat(3000)}${']'.repeat(3000)}`)}.${hmac('x', SECRET)}`,
    'TOKEN_MALFORMED',
  ],
  [
    'a deeply nested payload object with a wrong signature',
    hsVerifier,
    () => `${b64url({ alg: 'HS256' })}.${b64url(`${'{"a":'.repeat(1500)}1${'}'.repeat(1500)}`)}.${hmac('x', SECRET)}`,
    'TOKEN_SIGNATURE_INVALID',
  ],
  ['four segments', hsVerifier, () => `${sign({}, SECRET, { algorithm: 'HS256' })}.x`, 'TOKEN_MALFORMED'],
  [
    'RS256 signature with its last character changed in the unused bits (non-canonical base64url)',
    rsVerifier,
    () => {
      const token = good();
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      return token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1) as string) ^ 1];
    },
    'TOKEN_MALFORMED',
  ],
  [
    'a validly signed token with an unknown crit header',
    hsVerifier,
    () => forge({ alg: 'HS256', crit: ['b64'], b64: false }, { sub: 'admin' }, SECRET),
    'TOKEN_INVALID',
  ],
  [
    'iat a year in the future against maxAge 60',
    () => jwt({ secret: SECRET, algorithms: ['HS256'], maxAge: 60 }),
    () => forge({ alg: 'HS256' }, { sub: 'admin', iat: now() + 365 * 86400 }, SECRET),
    'TOKEN_CLAIM_INVALID',
  ],
  ...['__proto__', 'constructor', 'toString'].map((kid): [string, () => Middleware, () => string, string] => [
    `kid ${kid} against a resolver doing keys[header.kid]`,
    () => {
      const keys: Record<string, string> = { k1: rsa.publicPem };
      return jwt({ secret: (header) => keys[header.kid as string], algorithms: ['RS256'] });
    },
    () => sign({ sub: 'admin' }, rsa.privateKey, { algorithm: 'RS256', keyid: kid }),
    'TOKEN_KEY_UNKNOWN',
  ]),
  [
    'another jti than the one required',
    () => jwt({ secret: SECRET, algorithms: ['HS256'], jwtid: 'expected' }),
    () => sign({ sub: 'admin' }, SECRET, { algorithm: 'HS256', jwtid: 'other' }),
    'TOKEN_CLAIM_INVALID',
  ],
  [
    'a typ other than the one required',
    () => jwt({ secret: SECRET, algorithms: ['HS256'], checkTyp: 'at+jwt' }),
    () => forge({ alg: 'HS256', typ: 'JWT' }, { sub: 'admin' }, SECRET),
    'TOKEN_INVALID',
  ],
  [
    'standard base64 instead of base64url',
    hsVerifier,
    () => `${Buffer.from('{"alg":"HS256"}>>>').toString('base64')}.e30.x`,
    'TOKEN_MALFORMED',
  ],
];

describe('jwt attack table', () => {
  it.each(ATTACKS.map(([label, verifier, token, code]) => [label, code, verifier, token] as const))(
    '%s: 401 %s',
    async (_label, code, verifier, token) => {
      current = appWith(verifier());
      const res = await request(current.app.callback()).get('/').set('Authorization', `Bearer ${token()}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe(code);
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/,
      );
      expect(current.seen.ran).toBe(0);
    },
  );

  it('lets the genuine token of the table through (the verifiers are not simply closed)', async () => {
    for (const verifier of [rsVerifier, kidVerifier]) {
      current = appWith(verifier());
      const res = await request(current.app.callback()).get('/').set('Authorization', `Bearer ${good()}`);
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ sub: 'u1', role: 'user' });
    }
  });

  it('answers raw non-UTF-8 bytes in the Authorization header with 401 TOKEN_MALFORMED', async () => {
    current = appWith(hsVerifier());
    const server = await listen(current.app);
    try {
      const head = Buffer.concat([
        Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer '),
        Buffer.from([0xff, 0xfe, 0x80, 0x2e, 0xc3, 0x28, 0x2e, 0xa0, 0xa1]),
        Buffer.from('\r\n\r\n'),
      ]);
      const response = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () => socket.end(head));
        const chunks: Buffer[] = [];
        socket.on('data', (c) => chunks.push(c));
        socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.on('error', reject);
      });
      expect(response).toMatch(/^HTTP\/1\.1 401/);
      expect(response).toContain('"code":"TOKEN_MALFORMED"');
      expect(response).toContain('WWW-Authenticate: Bearer realm="api", error="invalid_token"');
    } finally {
      await server.close();
    }
  });

  it('answers an 8 kB junk cookie token with 401 TOKEN_MALFORMED', async () => {
    current = appWith(jwt({ secret: SECRET, algorithms: ['HS256'], cookie: 'at' }));
    const res = await request(current.app.callback())
      .get('/')
      .set('Cookie', `at=${randomBytes(6144).toString('base64url')}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_MALFORMED');
  });

  it('with passthrough lets every attack through as anonymous, never as a user', async () => {
    for (const [, , token] of ATTACKS.slice(0, 10)) {
      current = appWith(jwt({ secret: SECRET, algorithms: ['HS256'], passthrough: true }));
      const res = await request(current.app.callback()).get('/').set('Authorization', `Bearer ${token()}`);
      expect(res.status).toBe(200);
      expect(res.body.user).toBeUndefined();
    }
  });
});
