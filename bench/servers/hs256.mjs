// A small HS256 signer for the peer servers' login routes (not measured: only /login uses it), so the
// bench needs no direct dependency on jsonwebtoken.
import { createHmac } from 'node:crypto';

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function signHs256(payload, secret, expiresInS) {
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ ...payload, iat: now, exp: now + expiresInS })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
