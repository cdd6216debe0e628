import { memoryStore, session } from '@koa-kit/session';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeApp, sessionCookie } from '../helpers.js';

const DAY = 86_400_000;

let pending: Array<{ assertNone(): void }> = [];
afterEach(() => {
  vi.useRealTimers();
  const list = pending;
  pending = [];
  for (const errors of list) errors.assertNone();
});

describe("maxAge: 'session' cookies", () => {
  it('a copied browser-session cookie is refused once its server-side lifetime has passed', async () => {
    const made = makeApp(session({ maxAge: 'session' }));
    pending.push(made.errors);
    const expired: unknown[] = [];
    made.app.on('session:expired', (event) => expired.push(event));
    // one save, no regenerate()
    const first = await request(made.app.callback()).get('/count').expect(200);
    const cookie = sessionCookie(first.headers);
    expect(cookie.attrs.expires).toBeUndefined();
    expect(cookie.attrs['max-age']).toBeUndefined();

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * DAY);
    const replay = await request(made.app.callback())
      .get('/count')
      .set('Cookie', `koa.sess=${cookie.value}`)
      .expect(200);
    expect(replay.body.count).toBe(1);
    vi.useRealTimers();
    await new Promise((r) => setImmediate(r));
    expect(expired).toHaveLength(1);
  });

  it('an active browser session is renewed before its server-side lifetime ends', async () => {
    const made = makeApp(session({ maxAge: 'session' }));
    pending.push(made.errors);
    const login = await request(made.app.callback()).get('/login').expect(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 0.75 * DAY);
    const renewed = await request(made.app.callback())
      .get('/me')
      .set('Cookie', `koa.sess=${sessionCookie(login.headers).value}`)
      .expect(200);
    const cookie = sessionCookie(renewed.headers);
    expect(cookie.attrs.expires).toBeUndefined();
    vi.setSystemTime(Date.now() + 0.75 * DAY);
    const later = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${cookie.value}`).expect(200);
    expect(later.body.user).toBe('alice');
  });

  for (const [kind, store] of [
    ['cookie sessions', undefined],
    ['store sessions', memoryStore()],
  ] as const) {
    it(`${kind}: the cookie stays a browser-session cookie after regenerate() and a later write`, async () => {
      const made = makeApp(session({ maxAge: 'session', store }));
      pending.push(made.errors);
      // /login calls regenerate() and then writes the user: two saves on one response
      const res = await request(made.app.callback()).get('/login').expect(200);
      const cookie = sessionCookie(res.headers);
      expect(cookie.value).not.toBe('');
      expect(cookie.attrs.expires).toBeUndefined();
      expect(cookie.attrs['max-age']).toBeUndefined();
      // the next write, on a later request, keeps the kind too
      const next = await request(made.app.callback())
        .get('/count')
        .set('Cookie', `koa.sess=${cookie.value}`)
        .expect(200);
      expect(next.body.count).toBe(1);
      const after = sessionCookie(next.headers);
      expect(after.attrs.expires).toBeUndefined();
      expect(after.attrs['max-age']).toBeUndefined();
      const me = await request(made.app.callback()).get('/me').set('Cookie', `koa.sess=${after.value}`).expect(200);
      expect(me.body.user).toBe('alice');
    });
  }
});
