import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwks, jwt, sign } from '@koa-kit/jwt';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { appWith, rsaPair, SECRET } from './helpers.js';

// A real JWKS endpoint on a loopback port: its key set can be rotated, broken, or taken down.
const first = rsaPair();
const second = rsaPair();
const jwk = (pair: ReturnType<typeof rsaPair>, kid: string, extra: object = {}) => ({
  ...pair.publicKey.export({ format: 'jwk' }),
  kid,
  use: 'sig',
  ...extra,
});
let document: unknown = { keys: [jwk(first, 'k1', { alg: 'RS256' })] };
let status = 200;
let fetches = 0;
let server: http.Server;
let uri = '';
beforeAll(async () => {
  server = http.createServer((_req, res) => {
    fetches++;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(document));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let current: ReturnType<typeof appWith> | undefined;
afterEach(() => {
  current?.errors.assertNone();
  current = undefined;
  document = { keys: [jwk(first, 'k1', { alg: 'RS256' })] };
  status = 200;
  fetches = 0;
});
const rs = (pair: ReturnType<typeof rsaPair>, keyid?: string, algorithm: 'RS256' | 'PS256' = 'RS256') =>
  sign({ sub: 'u1' }, pair.privateKey, keyid === undefined ? { algorithm } : { algorithm, keyid });
const call = (token: string) =>
  request((current as NonNullable<typeof current>).app.callback())
    .get('/')
    .auth(token, { type: 'bearer' });

it('verifies with the fetched key, caches the set, and picks up a rotated key on an unknown kid', async () => {
  current = appWith(jwt({ secret: jwks({ uri, cooldown: 0.05 }), algorithms: ['RS256'], cache: false }));
  expect((await call(rs(first, 'k1'))).status).toBe(200);
  expect((await call(rs(first, 'k1'))).status).toBe(200);
  expect(fetches).toBe(1);
  document = { keys: [jwk(first, 'k1'), jwk(second, 'k2')] };
  await new Promise((r) => setTimeout(r, 60));
  expect((await call(rs(second, 'k2'))).status).toBe(200);
  expect(fetches).toBe(2);
});

it('refetches at most once per cooldown however many unknown kids arrive: 401 TOKEN_KEY_UNKNOWN, no storm', async () => {
  current = appWith(jwt({ secret: jwks({ uri }), algorithms: ['RS256'] }));
  expect((await call(rs(first, 'k1'))).status).toBe(200);
  const answers = await Promise.all(
    ['nope-1', 'nope-2', 'nope-3', 'nope-4', 'nope-5', '__proto__', 'constructor'].map((kid) => call(rs(first, kid))),
  );
  for (const res of answers) {
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_KEY_UNKNOWN');
  }
  expect(fetches).toBe(1);
});

it('requires a kid, ignores symmetric and encryption keys, and checks the JWK alg against the header', async () => {
  document = {
    keys: [
      jwk(first, 'k1', { alg: 'RS256' }),
      jwk(second, 'enc', { use: 'enc' }),
      { kty: 'oct', kid: 'hmac', k: Buffer.from(SECRET).toString('base64url') },
    ],
  };
  current = appWith(jwt({ secret: jwks({ uri }), algorithms: ['RS256', 'PS256', 'HS256'] }));
  expect((await call(rs(first))).body.code).toBe('TOKEN_KEY_UNKNOWN');
  expect((await call(rs(second, 'enc'))).body.code).toBe('TOKEN_KEY_UNKNOWN');
  expect((await call(sign({ sub: 'u1' }, SECRET, { algorithm: 'HS256', keyid: 'hmac' }))).body.code).toBe(
    'TOKEN_KEY_UNKNOWN',
  );
  expect((await call(rs(first, 'k1', 'PS256'))).body.code).toBe('TOKEN_KEY_UNKNOWN');
  expect((await call(rs(first, 'k1'))).status).toBe(200);
});

it('answers 503 JWKS_UNAVAILABLE with Retry-After when the endpoint is down, never a 500', async () => {
  status = 502;
  const app = appWith(jwt({ secret: jwks({ uri, cooldown: 7 }), algorithms: ['RS256'] }));
  const errors: unknown[] = [];
  app.app.removeAllListeners('error');
  app.app.on('error', (err) => errors.push(err));
  for (let i = 0; i < 3; i++) {
    const res = await request(app.app.callback()).get('/').auth(rs(first, 'k1'), { type: 'bearer' });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('JWKS_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('7');
    expect(res.text).not.toContain('502');
  }
  expect(fetches).toBe(1);
  expect(errors).toHaveLength(3);
});

it('keeps using the last good key set while the endpoint is down', async () => {
  current = appWith(
    jwt({ secret: jwks({ uri, cacheTtl: 0.05, cooldown: 0.05 }), algorithms: ['RS256'], cache: false }),
  );
  expect((await call(rs(first, 'k1'))).status).toBe(200);
  status = 500;
  await new Promise((r) => setTimeout(r, 60));
  expect((await call(rs(first, 'k1'))).status).toBe(200);
  expect(fetches).toBe(2);
});

it('checks its options when called', () => {
  expect(() => jwks(undefined as never)).toThrow(TypeError);
  expect(() => jwks({ uri: 'not a url' })).toThrow(/"uri"/);
  expect(() => jwks({ uri: 'file:///etc/passwd' })).toThrow(/"uri"/);
  expect(() => jwks({ uri, cacheTtl: 0 })).toThrow(/"cacheTtl"/);
  expect(() => jwks({ uri, cooldown: -1 })).toThrow(/"cooldown"/);
  expect(() => jwks({ uri, timeout: Number.NaN })).toThrow(/"timeout"/);
});
