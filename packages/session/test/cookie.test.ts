import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { promisify } from 'node:util';
import { MAX_COOKIE_BYTES, session } from '@koa-kit/session';
import { listen } from '@koa-kit/testing';
import type Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, makeApp, sessionCookie, setCookies, sleep } from './helpers.js';

const run = promisify(execFile);
let pending: Array<{ assertNone(): void }> = [];
afterEach(() => {
  const list = pending;
  pending = [];
  for (const errors of list) errors.assertNone();
});

function setup(opts: Parameters<typeof session>[0] = {}, keys: string[] | null = KEYS) {
  const made = makeApp(session(opts), keys);
  pending.push(made.errors);
  return made;
}

/** Keygrip-compatible sha256 signature (base64url, no padding). */
function sign(data: string, key: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

async function login(app: Koa, user = 'alice'): Promise<string> {
  const res = await request(app.callback()).get(`/login?user=${user}`).expect(200);
  return sessionCookie(res.headers).value;
}

describe('cookie sessions', () => {
  it('round-trips the session through an encrypted, signed cookie with secure defaults', async () => {
    const { app } = setup();
    const res = await request(app.callback()).get('/login?user=alice').expect(200);
    const cookie = sessionCookie(res.headers);
    expect(cookie.attrs.httponly).toBe(true);
    expect(cookie.attrs.samesite).toBe('lax');
    expect(cookie.attrs.path).toBe('/');
    expect(cookie.attrs.secure).toBeUndefined();
    const expires = Date.parse(String(cookie.attrs.expires));
    expect(expires - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(86_400_000 + 1000);
    // a single cookie: no koa `.sig` companion
    expect(setCookies(res.headers).map((c) => c.name)).toEqual(['koa.sess']);
    // the client cannot read its own session: neither the JSON nor its base64 appears
    const decoded = Buffer.from(cookie.value.split('.')[0]!, 'base64url').toString('latin1');
    expect(cookie.value).not.toContain('alice');
    expect(decoded).not.toContain('alice');
    expect(cookie.value).not.toContain(Buffer.from('{"user":"alice"').toString('base64').slice(0, 12));

    const me = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie.value}`).expect(200);
    expect(me.body).toEqual({ user: 'alice', isNew: false, id: null });
    // reading an unchanged session writes no cookie
    expect(me.headers['set-cookie']).toBeUndefined();
  });

  it('encrypts every write with a fresh IV', async () => {
    const { app } = setup();
    const a = await login(app);
    const b = await login(app);
    expect(a).not.toBe(b);
  });

  it('counts across requests and sends no cookie to a visitor who stores nothing', async () => {
    const { app } = setup();
    const agent = request.agent(app.callback());
    const first = await agent.get('/').expect(200, 'hello');
    expect(first.headers['set-cookie']).toBeUndefined();
    await agent.get('/count').expect(200, { count: 1 });
    await agent.get('/count').expect(200, { count: 2 });
    await agent.get('/count').expect(200, { count: 3 });
  });

  it('works with a real client (curl) and its cookie jar', async () => {
    const { app } = setup();
    const server = await listen(app);
    try {
      const jar = `/tmp/koa-kit-session-jar-${process.pid}-${Date.now()}`;
      await run('curl', ['-sS', '-c', jar, '-b', jar, `${server.url}/count`]);
      await run('curl', ['-sS', '-c', jar, '-b', jar, `${server.url}/count`]);
      const { stdout } = await run('curl', ['-sS', '-c', jar, '-b', jar, `${server.url}/count`]);
      expect(JSON.parse(stdout)).toEqual({ count: 3 });
      await run('rm', ['-f', jar]);
    } finally {
      await server.close();
    }
  });

  describe('hostile cookies give a fresh empty session, never a 500', () => {
    const cases: Array<[string, (value: string) => string]> = [
      ['bad signature', (v) => `${v.slice(0, v.lastIndexOf('.'))}.${'A'.repeat(43)}`],
      [
        'signature of another key',
        (v) => {
          const body = v.slice(0, v.lastIndexOf('.'));
          return `${body}.${sign(`koa.sess=${body}`, 'not-a-key-of-this-app')}`;
        },
      ],
      ['no signature', (v) => v.slice(0, v.lastIndexOf('.'))],
      ['truncated', (v) => v.slice(0, Math.floor(v.length / 2))],
      [
        'truncated ciphertext, re-signed',
        (v) => {
          const body = v.slice(0, v.lastIndexOf('.')).slice(0, 30);
          return `${body}.${sign(`koa.sess=${body}`, KEYS[0]!)}`;
        },
      ],
      [
        'flipped ciphertext byte, re-signed with the real key',
        (v) => {
          const raw = Buffer.from(v.slice(0, v.lastIndexOf('.')), 'base64url');
          raw[20] = raw[20]! ^ 0x01;
          const body = raw.toString('base64url');
          return `${body}.${sign(`koa.sess=${body}`, KEYS[0]!)}`;
        },
      ],
      [
        'valid signature over non-ciphertext',
        () => {
          const body = Buffer.from('{"user":"mallory"}').toString('base64url');
          return `${body}.${sign(`koa.sess=${body}`, KEYS[0]!)}`;
        },
      ],
      ['empty', () => ''],
      ['dots only', () => '....'],
      ['not base64', () => '%%%%.%%%%'],
      ['huge', () => 'A'.repeat(8000)],
      ['koa-session style plain base64 JSON', () => Buffer.from('{"user":"mallory"}').toString('base64')],
    ];
    for (const [name, mutate] of cases) {
      it(name, async () => {
        const { app } = setup();
        const good = await login(app, 'alice');
        const res = await request(app.callback())
          .get('/me')
          .set('Cookie', `koa.sess=${mutate(good)}`)
          .expect(200);
        expect(res.body).toEqual({ user: null, isNew: true, id: null });
      });
    }

    it('a cookie moved to another cookie name does not verify', async () => {
      const { app } = setup();
      const good = await login(app);
      const other = makeApp(session({ key: 'other' }), KEYS);
      pending.push(other.errors);
      const res = await request(other.app.callback()).get('/me').set('Cookie', `other=${good}`).expect(200);
      expect(res.body.user).toBeNull();
    });

    it('a malformed Cookie header does not break the request', async () => {
      const { app } = setup();
      for (const header of ['koa.sess', ';;;', 'koa.sess="unterminated', '=koa.sess=;', 'koa.sess=a;koa.sess=b']) {
        const res = await request(app.callback()).get('/me').set('Cookie', header).expect(200);
        expect(res.body.user).toBeNull();
      }
    });
  });

  it('rotates keys: an old-key cookie is accepted and re-signed with the new first key', async () => {
    const before = setup({}, [KEYS[1]!]);
    const old = await login(before.app, 'alice');

    const after = setup({}, [KEYS[0]!, KEYS[1]!]);
    const res = await request(after.app.callback()).get('/me').set('Cookie', `koa.sess=${old}`).expect(200);
    expect(res.body.user).toBe('alice');
    const fresh = sessionCookie(res.headers).value;
    expect(fresh).not.toBe(old);
    const body = fresh.slice(0, fresh.lastIndexOf('.'));
    expect(fresh.slice(fresh.lastIndexOf('.') + 1)).toBe(sign(`koa.sess=${body}`, KEYS[0]!));

    // the re-sealed cookie works once the old key is retired; the old one no longer does
    const retired = setup({}, [KEYS[0]!]);
    const ok = await request(retired.app.callback()).get('/me').set('Cookie', `koa.sess=${fresh}`).expect(200);
    expect(ok.body.user).toBe('alice');
    expect(ok.headers['set-cookie']).toBeUndefined();
    const gone = await request(retired.app.callback()).get('/me').set('Cookie', `koa.sess=${old}`).expect(200);
    expect(gone.body.user).toBeNull();
  });

  it('signed: false still authenticates through AES-GCM, and rotates keys', async () => {
    const before = setup({ signed: false }, [KEYS[1]!]);
    const old = await login(before.app, 'alice');
    expect(old).not.toContain('.');
    const after = setup({ signed: false }, [KEYS[0]!, KEYS[1]!]);
    const res = await request(after.app.callback()).get('/me').set('Cookie', `koa.sess=${old}`).expect(200);
    expect(res.body.user).toBe('alice');
    const fresh = sessionCookie(res.headers).value;
    const retired = setup({ signed: false }, [KEYS[0]!]);
    const ok = await request(retired.app.callback()).get('/me').set('Cookie', `koa.sess=${fresh}`).expect(200);
    expect(ok.body.user).toBe('alice');
    const raw = Buffer.from(fresh, 'base64url');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 0x80;
    const tampered = await request(retired.app.callback())
      .get('/me')
      .set('Cookie', `koa.sess=${raw.toString('base64url')}`)
      .expect(200);
    expect(tampered.body).toEqual({ user: null, isNew: true, id: null });
  });

  it('takes keys from options.keys over app.keys', async () => {
    const a = setup({ keys: ['option-key-0123456789abcdef0123456789'] }, ['app-key-0123456789abcdef0123456789abcdef']);
    const cookie = await login(a.app);
    const b = setup({}, ['option-key-0123456789abcdef0123456789']);
    const res = await request(b.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(res.body.user).toBe('alice');
  });

  it('logout clears the cookie', async () => {
    const { app } = setup();
    const cookie = await login(app);
    const res = await request(app.callback()).get('/logout').set('Cookie', `koa.sess=${cookie}`).expect(200);
    const cleared = sessionCookie(res.headers);
    expect(cleared.value).toBe('');
    expect(Date.parse(String(cleared.attrs.expires))).toBe(0);
  });

  it('expires: a cookie past its maxAge gives a fresh session', async () => {
    const { app } = setup({ maxAge: 1000 });
    const cookie = await login(app);
    const now = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(now.body.user).toBe('alice');
    await sleep(1100);
    const later = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(later.body).toMatchObject({ user: null, isNew: true });
  });

  it('renews the cookie once less than half of maxAge is left, not before', async () => {
    const { app } = setup({ maxAge: 1600 });
    const cookie = await login(app);
    const early = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(early.headers['set-cookie']).toBeUndefined();
    await sleep(900);
    const late = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    const renewed = sessionCookie(late.headers).value;
    await sleep(900);
    // the original would have expired by now; the renewed one still holds the user
    const after = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${renewed}`).expect(200);
    expect(after.body.user).toBe('alice');
  });

  it('rolling re-issues the cookie on every response', async () => {
    const { app } = setup({ rolling: true });
    const cookie = await login(app);
    const res = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(sessionCookie(res.headers).value).not.toBe('');
  });

  it('maxAge "session" sets a browser-session cookie', async () => {
    const { app } = setup({ maxAge: 'session' });
    const res = await request(app.callback()).get('/login').expect(200);
    const cookie = sessionCookie(res.headers);
    expect(cookie.attrs.expires).toBeUndefined();
    const me = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie.value}`).expect(200);
    expect(me.body.user).toBe('alice');
  });

  it('marks the cookie secure on HTTPS behind a trusted proxy, not when the proxy is not trusted', async () => {
    const trusted = setup();
    trusted.app.proxy = true;
    const res = await request(trusted.app.callback()).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
    expect(sessionCookie(res.headers).attrs.secure).toBe(true);

    const untrusted = setup();
    const res2 = await request(untrusted.app.callback()).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
    expect(sessionCookie(res2.headers).attrs.secure).toBeUndefined();
  });

  it('honours cookie options', async () => {
    const { app } = setup({ key: 'sid', sameSite: 'strict', httpOnly: false, path: '/app', domain: 'example.com' });
    const res = await request(app.callback()).get('/login').expect(200);
    const cookie = sessionCookie(res.headers, 'sid');
    expect(cookie.attrs).toMatchObject({ samesite: 'strict', path: '/app', domain: 'example.com' });
    expect(cookie.attrs.httponly).toBeUndefined();
  });

  it(`refuses to grow past the ${MAX_COOKIE_BYTES}-byte cookie limit with a 500 SESSION_TOO_LARGE, not a dropped cookie`, async () => {
    const { app, errors } = setup();
    const small = await request(app.callback())
      .get(`/set?blob=${'x'.repeat(2500)}`)
      .expect(200);
    const ok = sessionCookie(small.headers);
    expect(ok.name.length + ok.value.length).toBeLessThanOrEqual(MAX_COOKIE_BYTES);

    const res = await request(app.callback())
      .get(`/set?blob=${'x'.repeat(3200)}`)
      .expect(500);
    expect(res.text).toBe('Internal Server Error');
    expect(res.text).not.toContain('SESSION');
    expect(setCookies(res.headers)).toEqual([]);
    const [err] = errors.take() as Array<{ code: string; status: number; expose: boolean }>;
    expect(err).toMatchObject({ code: 'SESSION_TOO_LARGE', status: 500, expose: false });
  });

  it('refuses data JSON cannot encode with a 500 SESSION_NOT_SERIALIZABLE', async () => {
    const { app, errors } = setup();
    await request(app.callback()).get('/cycle').expect(500);
    expect(errors.take()).toMatchObject([{ code: 'SESSION_NOT_SERIALIZABLE', expose: false }]);
  });

  it('without any keys, fails with a 500 SESSION_MISCONFIGURED (and works once app.keys is set)', async () => {
    const { app, errors, hits } = setup({}, null);
    await request(app.callback()).get('/me').expect(500);
    expect(hits.downstream).toBe(0);
    expect(errors.take()).toMatchObject([{ code: 'SESSION_MISCONFIGURED', status: 500, expose: false }]);
    app.keys = KEYS;
    await request(app.callback()).get('/count').expect(200, { count: 1 });
  });

  it('refuses a second session middleware on the same app', async () => {
    const { app, errors, hits } = setup();
    app.middleware.unshift(session({ key: 'second' }));
    await request(app.callback()).get('/me').expect(500);
    expect(hits.downstream).toBe(0);
    expect(errors.take()).toMatchObject([{ code: 'SESSION_MISCONFIGURED' }]);
  });

  it('one middleware instance serves two apps, each with its own keys', async () => {
    const mw = session();
    const a = makeApp(mw, ['key-of-app-a-0123456789abcdef0123456789']);
    const b = makeApp(mw, ['key-of-app-b-0123456789abcdef0123456789']);
    pending.push(a.errors, b.errors);
    const cookie = await login(a.app);
    const inA = await request(a.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(inA.body.user).toBe('alice');
    const inB = await request(b.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(inB.body.user).toBeNull();
  });
});

describe('session() options', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['options', 'nope', /options must be an object/],
    ['unknown', { maxAgeMs: 1000 }, /unknown option "maxAgeMs"/],
    ['key', { key: 'a b' }, /"key"/],
    ['keys empty', { keys: [] }, /"keys"/],
    ['keys type', { keys: [1] }, /"keys"/],
    ['keys empty string', { keys: [''] }, /"keys"/],
    ['maxAge', { maxAge: -1 }, /"maxAge"/],
    ['maxAge string', { maxAge: '1d' }, /"maxAge"/],
    ['sameSite', { sameSite: 'yes' }, /"sameSite"/],
    ['secure', { secure: 'true' }, /"secure"/],
    ['httpOnly', { httpOnly: 1 }, /"httpOnly"/],
    ['path', { path: 'app' }, /"path"/],
    ['domain', { domain: 'a;b' }, /"domain"/],
    ['store', { store: { get() {} } }, /"store"/],
    ['storeTimeout', { storeTimeout: 0 }, /"storeTimeout"/],
    ['cacheSize', { cacheSize: -1 }, /"cacheSize"/],
  ];
  for (const [name, options, message] of bad) {
    it(`throws a TypeError naming a bad ${name}`, () => {
      expect(() => session(options as never)).toThrow(TypeError);
      expect(() => session(options as never)).toThrow(message);
    });
  }

  it('does not mutate the caller options and returns a named middleware', () => {
    const options = Object.freeze({ keys: Object.freeze([...KEYS]), maxAge: 5000 });
    const mw = session(options as never);
    expect(mw.name).toBe('session');
    expect(options).toEqual({ keys: KEYS, maxAge: 5000 });
  });
});
