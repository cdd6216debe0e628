// @koa-kit/jwt: a JSON route behind jwt() against the same route on bare Koa, HS256 and RS256,
// with the verified-token cache (the default) and without it (cache: false), to show what the
// cache buys, and the same RS256 key read through jwks(). The tokens are signed here with
// node:crypto; the servers get the key in `options`.
import { generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { signHs256 } from '../servers/hs256.mjs';

const SECRET = 'bench-secret-of-at-least-32-bytes-long';
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64url = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');

function signRs256(payload, expiresInS, kid) {
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64url({ alg: 'RS256', typ: 'JWT', ...(kid ? { kid } : {}) })}.${b64url({ ...payload, iat: now, exp: now + expiresInS })}`;
  return `${head}.${rsaSign('sha256', Buffer.from(head), privateKey).toString('base64url')}`;
}

const claims = { sub: '42', scope: 'read write', iss: 'https://id.example' };
const hs = { alg: 'HS256', key: SECRET };
const rs = { alg: 'RS256', key: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
// Tokens are signed when the scenarios load; two hours outlast a full run.
const hsToken = signHs256(claims, SECRET, 7200);
const rsToken = signRs256(claims, 7200);
const rsKidToken = signRs256(claims, 7200, 'bench');

export default [
  {
    name: 'jwt HS256',
    server: 'jwt-api.mjs',
    options: hs,
    path: '/api',
    headers: { authorization: `Bearer ${hsToken}` },
    reference: 'bare koa',
    goal: 0.9,
    note: 'KeyObject secret, verified-token cache (default)',
  },
  {
    name: 'jwt RS256',
    server: 'jwt-api.mjs',
    options: rs,
    path: '/api',
    headers: { authorization: `Bearer ${rsToken}` },
    reference: 'bare koa',
    goal: 0.9,
    note: 'RSA-2048 public key, verified-token cache (default)',
  },
  {
    name: 'jwt HS256, cache: false',
    server: 'jwt-api.mjs',
    options: { ...hs, cache: false },
    path: '/api',
    headers: { authorization: `Bearer ${hsToken}` },
    reference: 'bare koa',
    note: 'every request verified by jsonwebtoken with a KeyObject',
  },
  {
    name: 'jwt RS256, cache: false',
    server: 'jwt-api.mjs',
    options: { ...rs, cache: false },
    path: '/api',
    headers: { authorization: `Bearer ${rsToken}` },
    reference: 'bare koa',
    note: 'every request verified: one RSA-2048 signature check each',
  },
  {
    name: 'jwt RS256 via jwks()',
    server: 'jwt-api.mjs',
    options: { ...rs, jwks: true },
    path: '/api',
    headers: { authorization: `Bearer ${rsKidToken}` },
    reference: 'bare koa',
    note: 'key from jwks({ uri }) on loopback (fetched once, then looked up by kid), verified-token cache (default)',
  },
  {
    name: 'jwt RS256 via jwks(), cache: false',
    server: 'jwt-api.mjs',
    options: { ...rs, jwks: true, cache: false },
    path: '/api',
    headers: { authorization: `Bearer ${rsKidToken}` },
    reference: 'bare koa',
    note: 'jwks() lookup and one RSA-2048 signature check per request',
  },
];
