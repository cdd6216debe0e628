import { jwt, sign } from '@koa-kit/jwt';
import { listen } from '@koa-kit/testing';
import { afterEach, expect, it } from 'vitest';
import { appWith, b64url, SECRET } from './helpers.js';

// The verified-token cache is keyed by the signature segment alone: a token that reuses a cached
// token's signature under another header or payload must be verified, and refused, on its own.
let current: ReturnType<typeof appWith> | undefined;
afterEach(() => {
  current?.errors.assertNone();
  current = undefined;
});

it('refuses a forged payload carrying the signature of a cached token, and keeps serving the real one', async () => {
  current = appWith(jwt({ secret: SECRET, algorithms: ['HS256'] }));
  const server = await listen(current.app);
  try {
    const call = (token: string) => fetch(server.url, { headers: { authorization: `Bearer ${token}` } });
    const real = sign({ sub: 'u1', role: 'user' }, SECRET, { algorithm: 'HS256', expiresIn: 600 });
    const [header, , signature] = real.split('.');
    const forged = `${header}.${b64url({ sub: 'u1', role: 'admin', iat: Math.floor(Date.now() / 1000) })}.${signature}`;
    const otherHeader = `${b64url({ alg: 'HS256', typ: 'JWT', kid: 'x' })}.${real.split('.')[1]}.${signature}`;

    const first = await call(real);
    expect(first.status).toBe(200);
    expect(((await first.json()) as { user: { role: string } }).user.role).toBe('user');
    for (const token of [forged, otherHeader]) {
      const res = await call(token);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('TOKEN_SIGNATURE_INVALID');
    }
    const again = await call(real);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { user: { role: string } }).user.role).toBe('user');
    expect(current.seen.ran).toBe(2);
  } finally {
    await server.close();
  }
});
