import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Router from '@koa/router';
import { basicAuth } from '@koa-kit/auth-basic';
import { jwt, requireScope, sign } from '@koa-kit/jwt';
import { collectAppErrors, listen } from '@koa-kit/testing';
import Koa from 'koa';
import { afterEach, expect, it } from 'vitest';

// The login flow of the README, as written there: Basic credentials on /login buy a short-lived
// JWT from sign(), and jwt() guards the API. Driven with curl, a real client.

const run = promisify(execFile);
const curl = async (...args: string[]) => {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const lines = stdout.split('\n');
  const status = Number(lines.pop());
  return { status, body: lines.join('\n') };
};

function buildApp(secret: string) {
  // --- README: Usage, the login flow ---
  const app = new Koa();
  const scopes: Record<string, string> = { alice: 'notes:read notes:write', bob: 'notes:read' };

  const auth = new Router();
  auth.post(
    '/login',
    basicAuth({ users: { alice: 'correct horse', bob: 'battery staple' }, realm: 'login' }),
    (ctx) => {
      const name = ctx.state.user?.name as string;
      ctx.body = { token: sign({ sub: name, scope: scopes[name] }, secret, { algorithm: 'HS256', expiresIn: '15m' }) };
    },
  );

  const api = new Router({ prefix: '/api' });
  api.use(jwt({ secret, algorithms: ['HS256'] }));
  api.get('/me', (ctx) => {
    ctx.body = { sub: ctx.state.user?.sub };
  });
  api.post('/notes', requireScope('notes:write'), (ctx) => {
    ctx.status = 201;
  });

  app.use(auth.routes()).use(api.routes());
  // --- end ---
  return app;
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
});

it('logs in with Basic auth, gets a JWT, and uses it on the API', async () => {
  const app = buildApp('a-32-byte-or-longer-secret-value!');
  const errors = collectAppErrors(app);
  const server = await listen(app);
  close = server.close;

  const refused = await curl('-X', 'POST', '-u', 'alice:wrong', `${server.url}/login`);
  expect(refused.status).toBe(401);
  const login = await curl('-X', 'POST', '-u', 'alice:correct horse', `${server.url}/login`);
  expect(login.status).toBe(200);
  const { token } = JSON.parse(login.body) as { token: string };

  const me = await curl('--oauth2-bearer', token, `${server.url}/api/me`);
  expect(me).toEqual({ status: 200, body: '{"sub":"alice"}' });
  expect((await curl('-X', 'POST', '--oauth2-bearer', token, `${server.url}/api/notes`)).status).toBe(201);

  const bob = JSON.parse((await curl('-X', 'POST', '-u', 'bob:battery staple', `${server.url}/login`)).body)
    .token as string;
  expect((await curl('-X', 'POST', '--oauth2-bearer', bob, `${server.url}/api/notes`)).status).toBe(403);
  expect((await curl(`${server.url}/api/me`)).status).toBe(401);
  // Koa emits exposed 4xx errors too; every one here is a deliberate refusal.
  expect(errors.take().map((e) => (e as { code: string }).code)).toEqual([
    'CREDENTIALS_INVALID',
    'INSUFFICIENT_SCOPE',
    'TOKEN_MISSING',
  ]);
});
