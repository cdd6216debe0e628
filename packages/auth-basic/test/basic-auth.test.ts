import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { basicAuth } from '@koa-kit/auth-basic';
import { listen } from '@koa-kit/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { appWith, b64, deferred } from './helpers.js';

const run = promisify(execFile);
const users = { alice: 'wonder:land', Zoë: 'pässwörd', bob: 'builder' };
let current: ReturnType<typeof appWith> | undefined;
function make(...args: Parameters<typeof appWith>) {
  current = appWith(...args);
  return current;
}
afterEach(() => {
  current?.errors.assertNone();
  current = undefined;
});

const CHALLENGE = 'Basic realm="Restricted", charset="UTF-8"';

describe('basicAuth options', () => {
  it('validates its options when called, naming the option', () => {
    expect(() => basicAuth(undefined as never)).toThrow(TypeError);
    expect(() => basicAuth({})).toThrow(/"users" or "validate"/);
    expect(() => basicAuth({ users: 'x' as never })).toThrow(/"users"/);
    expect(() => basicAuth({ users: {} })).toThrow(/"users"/);
    expect(() => basicAuth({ users: { a: 1 as never } })).toThrow(/"users".*password/);
    expect(() => basicAuth({ users: { 'a:b': 'x' } })).toThrow(/must not contain ":"/);
    expect(() => basicAuth({ users, validate: () => true })).toThrow(/cannot be used together/);
    expect(() => basicAuth({ validate: 'yes' as never })).toThrow(/"validate"/);
    expect(() => basicAuth({ users, realm: 5 as never })).toThrow(/"realm"/);
    expect(() => basicAuth({ users, realm: 'a\r\nSet-Cookie: x=1' })).toThrow(/"realm"/);
    expect(() => basicAuth({ users, realm: 'Zoë' })).toThrow(/"realm"/);
    expect(() => basicAuth({ users, proxy: 'yes' as never })).toThrow(/"proxy"/);
  });

  it('does not mutate the caller options and returns a named middleware', () => {
    const options = Object.freeze({ users: Object.freeze({ ...users }), realm: 'x' });
    const mw = basicAuth(options);
    expect(mw.name).toBe('basicAuth');
    expect(options).toEqual({ users, realm: 'x' });
  });
});

describe('basicAuth with a users table', () => {
  it('lets a right name and password through and sets ctx.state.user = { name }', async () => {
    const { app, seen } = make(basicAuth({ users }));
    const res = await request(app.callback()).get('/').auth('bob', 'builder');
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ name: 'bob' });
    expect(seen.ran).toBe(1);
  });

  it('accepts a password holding colons (split at the first colon only)', async () => {
    const { app } = make(basicAuth({ users }));
    const res = await request(app.callback())
      .get('/')
      .set('Authorization', `Basic ${b64('alice:wonder:land')}`);
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ name: 'alice' });
  });

  it('takes UTF-8 names and passwords and normalizes them to NFC', async () => {
    const { app } = make(basicAuth({ users }));
    const composed = await request(app.callback())
      .get('/')
      .set('Authorization', `Basic ${b64('Zoë:pässwörd')}`);
    expect(composed.status).toBe(200);
    expect(composed.body.user).toEqual({ name: 'Zoë' });
    const decomposed = 'Zoe\u0308:pa\u0308sswo\u0308rd';
    const res = await request(app.callback())
      .get('/')
      .set('Authorization', `Basic ${b64(decomposed)}`);
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ name: 'Zoë' });
    // Latin-1 bytes of the same text are not UTF-8: refused as malformed.
    const latin1 = await request(app.callback())
      .get('/')
      .set('Authorization', `Basic ${b64(Buffer.from('Zoë:pässwörd', 'latin1'))}`);
    expect(latin1.status).toBe(401);
    expect(latin1.body.code).toBe('CREDENTIALS_MALFORMED');
  });

  it('matches the scheme case-insensitively', async () => {
    const { app } = make(basicAuth({ users }));
    for (const scheme of ['basic', 'BASIC', 'bAsIc']) {
      const res = await request(app.callback())
        .get('/')
        .set('Authorization', `${scheme} ${b64('bob:builder')}`);
      expect(res.status).toBe(200);
    }
  });

  it('answers a missing header with 401 CREDENTIALS_MISSING and the challenge, downstream never runs', async () => {
    const { app, seen } = make(basicAuth({ users }));
    const res = await request(app.callback()).get('/');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('CREDENTIALS_MISSING');
    expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    const other = await request(app.callback()).get('/').set('Authorization', 'Bearer abc.def.ghi');
    expect(other.status).toBe(401);
    expect(other.body.code).toBe('CREDENTIALS_MISSING');
    expect(seen.ran).toBe(0);
  });

  it('answers a wrong password and an unknown user alike: 401 CREDENTIALS_INVALID', async () => {
    const { app, seen } = make(basicAuth({ users }));
    const wrong = await request(app.callback()).get('/').auth('bob', 'builder2');
    const unknown = await request(app.callback()).get('/').auth('mallory', 'builder');
    const swapped = await request(app.callback()).get('/').auth('alice', 'builder');
    const prefix = await request(app.callback()).get('/').auth('bob', 'build');
    for (const res of [wrong, unknown, swapped, prefix]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'CREDENTIALS_INVALID', message: 'Invalid credentials' });
      expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    }
    expect(seen.ran).toBe(0);
  });

  it.each([
    ['only the scheme', 'Basic'],
    ['the scheme and spaces', 'Basic    '],
    ['no colon', `Basic ${b64('bobbuilder')}`],
    ['characters outside base64', 'Basic Ym9i*YnVpbGRlcg=='],
    ['base64url alphabet', `Basic ${b64('a?>:?>?').replace(/\+/g, '-').replace(/\//g, '_')}`],
    ['missing padding', `Basic ${b64('bob:builder').replace(/=+$/, '')}`],
    ['non-zero unused bits', 'Basic Ym9iOmJ1aWxkZXJ='],
    ['embedded whitespace', 'Basic Ym9i OmJ1aWxkZXI='],
    ['a control character', `Basic ${b64('bob:buil\u0000der')}`],
    ['a newline in the name', `Basic ${b64('b\nob:builder')}`],
    ['not UTF-8', `Basic ${b64(Buffer.from([0x62, 0x6f, 0x62, 0x3a, 0xff, 0xfe, 0xc3]))}`],
    ['a bad scheme token', '"Basic" Ym9iOmJ1aWxkZXI='],
    ['10 kB of junk after the scheme', `Basic ${'%'.repeat(10_000)}`],
    ['10 kB of junk', '\u00ff'.repeat(10_000)],
  ])('answers %s with 401 CREDENTIALS_MALFORMED', async (_label, header) => {
    const { app, seen } = make(basicAuth({ users }));
    const res = await request(app.callback()).get('/').set('Authorization', header);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('CREDENTIALS_MALFORMED');
    expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    expect(seen.ran).toBe(0);
  });

  it('answers 10 kB of valid-looking base64 with 401, not 500', async () => {
    const { app } = make(basicAuth({ users }));
    const res = await request(app.callback())
      .get('/')
      .set('Authorization', `Basic ${b64(`bob:${'x'.repeat(7_500)}`)}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('CREDENTIALS_INVALID');
  });

  it('escapes the realm in the challenge', async () => {
    const { app } = make(basicAuth({ users, realm: 'Say "hi" \\ bye' }));
    const res = await request(app.callback()).get('/');
    expect(res.headers['www-authenticate']).toBe('Basic realm="Say \\"hi\\" \\\\ bye", charset="UTF-8"');
  });

  it("carries the challenge on err.headers so Koa's default handler sends it", async () => {
    const { app, errors } = make(basicAuth({ users, realm: 'api' }), { render: false });
    const res = await request(app.callback()).get('/');
    expect(errors.take()).toHaveLength(1);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="api", charset="UTF-8"');
    expect(res.text).toBe('Authentication required');
  });

  it('throws HttpErrors with status, expose, code and headers', async () => {
    let caught: Record<string, unknown> | undefined;
    const { app, errors } = make(basicAuth({ users }), { render: false });
    app.middleware.unshift(async (_ctx, next) => {
      try {
        await next();
      } catch (err) {
        caught = err as Record<string, unknown>;
        throw err;
      }
    });
    await request(app.callback()).get('/').auth('bob', 'nope');
    expect(errors.take()).toEqual([caught]);
    expect(caught).toMatchObject({
      status: 401,
      expose: true,
      code: 'CREDENTIALS_INVALID',
      headers: { 'WWW-Authenticate': CHALLENGE },
    });
  });

  it('works with curl -u as a real client, including a colon and UTF-8 in the password', async () => {
    const { app } = make(basicAuth({ users }));
    const server = await listen(app);
    try {
      const ok = await run('curl', ['-s', '-u', 'alice:wonder:land', '-w', '\n%{http_code}', `${server.url}/`]);
      expect(ok.stdout.trim().split('\n').pop()).toBe('200');
      const utf = await run('curl', ['-s', '-u', 'Zoë:pässwörd', '-w', '\n%{http_code}', `${server.url}/`]);
      expect(utf.stdout).toContain('"name":"Zoë"');
      const bad = await run('curl', ['-s', '-i', '-u', 'alice:nope', `${server.url}/`]);
      expect(bad.stdout).toMatch(/^HTTP\/1\.1 401/);
      expect(bad.stdout).toContain(`WWW-Authenticate: ${CHALLENGE}`);
    } finally {
      await server.close();
    }
  });
});

describe('basicAuth with validate', () => {
  it('puts what validate returns on ctx.state.user and passes ctx', async () => {
    const calls: unknown[] = [];
    const { app } = make(
      basicAuth({
        validate: async (name, password, ctx) => {
          calls.push([name, password, ctx.path]);
          return name === 'ann' && password === 'p:w' ? { id: 7, role: 'admin' } : false;
        },
      }),
    );
    const res = await request(app.callback()).get('/x').auth('ann', 'p:w');
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ id: 7, role: 'admin' });
    expect(calls).toEqual([['ann', 'p:w', '/x']]);
    const bad = await request(app.callback()).get('/x').auth('ann', 'nope');
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('CREDENTIALS_INVALID');
  });

  it('turns true into { name } and null or undefined into a refusal', async () => {
    const { app } = make(
      basicAuth({ validate: (name) => (name === 'yes' ? true : name === 'null' ? null : undefined) }),
    );
    expect((await request(app.callback()).get('/').auth('yes', 'x')).body.user).toEqual({ name: 'yes' });
    expect((await request(app.callback()).get('/').auth('null', 'x')).status).toBe(401);
    expect((await request(app.callback()).get('/').auth('other', 'x')).status).toBe(401);
  });

  it('never asks validate about malformed or missing credentials', async () => {
    let calls = 0;
    const { app } = make(basicAuth({ validate: () => ++calls > 0 }));
    await request(app.callback()).get('/');
    await request(app.callback()).get('/').set('Authorization', 'Basic !!!');
    expect(calls).toBe(0);
  });

  it('wraps a throwing validate as a 500 that leaks nothing', async () => {
    const { app, errors } = make(
      basicAuth({
        validate: async () => {
          throw new Error('db password is hunter2');
        },
      }),
    );
    const res = await request(app.callback()).get('/').auth('a', 'b');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('hunter2');
    const [err] = errors.take() as Array<{ code: string; expose: boolean; cause: Error }>;
    expect(err).toMatchObject({ code: 'AUTH_VALIDATE_FAILED', expose: false });
    expect(err?.cause.message).toBe('db password is hunter2');
  });

  it('survives a client that aborts while validate is pending', async () => {
    const entered = deferred();
    const release = deferred();
    const finished = deferred();
    let calls = 0;
    const { app } = make(
      basicAuth({
        validate: async (name) => {
          if (++calls === 1) {
            entered.resolve();
            await release.promise;
            finished.resolve();
          }
          return { name };
        },
      }),
    );
    const server = await listen(app);
    try {
      const authorization = `Basic ${b64('ann:pw')}`;
      const controller = new AbortController();
      const aborted = fetch(`${server.url}/`, { headers: { authorization }, signal: controller.signal });
      await entered.promise; // the request is inside validate
      controller.abort();
      await expect(aborted).rejects.toThrow();
      release.resolve();
      await finished.promise;
      const res = await fetch(`${server.url}/`, { headers: { authorization } });
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('basicAuth proxy: true', () => {
  it('reads Proxy-Authorization and answers 407 with Proxy-Authenticate', async () => {
    const { app } = make(basicAuth({ users, proxy: true, realm: 'proxy' }));
    const none = await request(app.callback()).get('/').auth('bob', 'builder');
    expect(none.status).toBe(407);
    expect(none.body.code).toBe('CREDENTIALS_MISSING');
    expect(none.headers['proxy-authenticate']).toBe('Basic realm="proxy", charset="UTF-8"');
    expect(none.headers['www-authenticate']).toBeUndefined();
    const ok = await request(app.callback())
      .get('/')
      .set('Proxy-Authorization', `Basic ${b64('bob:builder')}`);
    expect(ok.status).toBe(200);
    expect(ok.body.user).toEqual({ name: 'bob' });
    const bad = await request(app.callback())
      .get('/')
      .set('Proxy-Authorization', `Basic ${b64('bob:x')}`);
    expect(bad.status).toBe(407);
    expect(bad.body.code).toBe('CREDENTIALS_INVALID');
  });

  it('works with curl speaking to it as a proxy', async () => {
    const { app } = make(basicAuth({ users, proxy: true }));
    const server = await listen(app);
    try {
      const ok = await run('curl', [
        '-s',
        '-x',
        server.url,
        '--proxy-user',
        'bob:builder',
        '-w',
        '\n%{http_code}',
        'http://example.test/',
      ]);
      expect(ok.stdout.trim().split('\n').pop()).toBe('200');
      const bad = await run('curl', ['-s', '-x', server.url, '-w', '\n%{http_code}', 'http://example.test/']);
      expect(bad.stdout.trim().split('\n').pop()).toBe('407');
    } finally {
      await server.close();
    }
  });
});
