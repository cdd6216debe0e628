import { createHmac } from 'node:crypto';
import { memoryStore, type SessionStore, session } from '@koa-kit/session';
import { collectAppErrors } from '@koa-kit/testing';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, makeApp, sessionCookie, sleep } from './helpers.js';

let pending: Array<{ assertNone(): void }> = [];
afterEach(() => {
  const list = pending;
  pending = [];
  for (const errors of list) errors.assertNone();
});

function setup(opts: Parameters<typeof session>[0], keys: string[] | null = KEYS) {
  const made = makeApp(session(opts), keys);
  pending.push(made.errors);
  return made;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function idOf(cookieValue: string): string {
  return cookieValue.slice(0, cookieValue.lastIndexOf('.'));
}

describe('memory store sessions', () => {
  it('keeps the data in the store and only a signed random id in the cookie', async () => {
    const store = memoryStore();
    const { app } = setup({ store });
    const res = await request(app.callback()).get('/login?user=bob').expect(200);
    const cookie = sessionCookie(res.headers);
    const id = idOf(cookie.value);
    expect(id).toMatch(UUID);
    // after regenerate(), externalKey is the new id (koa-session kept showing the old one)
    expect(res.body.id).toBe(id);
    expect(cookie.value.slice(id.length + 1)).toBe(
      createHmac('sha256', KEYS[0]!).update(`koa.sess=${id}`).digest('base64url'),
    );
    expect(cookie.attrs).toMatchObject({ httponly: true, samesite: 'lax', path: '/' });
    expect(await store.get(id)).toMatchObject({ user: 'bob', _maxAge: 86_400_000 });

    const me = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie.value}`).expect(200);
    expect(me.body).toEqual({ user: 'bob', isNew: false, id });
    expect(me.headers['set-cookie']).toBeUndefined();
  });

  it('regenerate() on login changes the id and leaves no entry under the old one (session fixation)', async () => {
    const store = memoryStore();
    const { app } = setup({ store });
    // an attacker plants a session id on the victim
    const planted = sessionCookie((await request(app.callback()).get('/count').expect(200)).headers).value;
    const plantedId = idOf(planted);
    expect(await store.get(plantedId)).toMatchObject({ count: 1 });

    const res = await request(app.callback())
      .get('/login?user=victim')
      .set('Cookie', `koa.sess=${planted}`)
      .expect(200);
    const fresh = sessionCookie(res.headers).value;
    expect(idOf(fresh)).not.toBe(plantedId);
    expect(await store.get(plantedId)).toBeUndefined();
    expect(await store.get(idOf(fresh))).toMatchObject({ user: 'victim', count: 1 });

    const attacker = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${planted}`).expect(200);
    expect(attacker.body).toMatchObject({ user: null, isNew: true });
  });

  it('logout destroys the entry and clears the cookie', async () => {
    const store = memoryStore();
    const { app } = setup({ store });
    const cookie = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
    const res = await request(app.callback()).get('/logout').set('Cookie', `koa.sess=${cookie}`).expect(200);
    const cleared = sessionCookie(res.headers);
    expect(cleared.value).toBe('');
    expect(Date.parse(String(cleared.attrs.expires))).toBe(0);
    expect(await store.get(idOf(cookie))).toBeUndefined();
    const again = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(again.body.user).toBeNull();
  });

  it('refuses ids without a valid signature', async () => {
    const store = memoryStore();
    const { app } = setup({ store });
    const cookie = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
    const id = idOf(cookie);
    for (const forged of [
      id,
      `${id}.`,
      `${id}.${'x'.repeat(43)}`,
      `${id}.${createHmac('sha256', 'guess').update(`koa.sess=${id}`).digest('base64url')}`,
      `../${id}.${cookie.slice(id.length + 1)}`,
      'x'.repeat(6000),
    ]) {
      const res = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${forged}`).expect(200);
      expect(res.body).toMatchObject({ user: null, isNew: true });
    }
  });

  it('rotates keys: an id signed with an old key is re-signed with the new one, same id', async () => {
    const store = memoryStore();
    const before = setup({ store }, [KEYS[1]!]);
    const old = sessionCookie((await request(before.app.callback()).get('/login').expect(200)).headers).value;
    const after = setup({ store }, [KEYS[0]!, KEYS[1]!]);
    const res = await request(after.app.callback()).get('/me').set('Cookie', `koa.sess=${old}`).expect(200);
    expect(res.body.user).toBe('alice');
    const fresh = sessionCookie(res.headers).value;
    expect(idOf(fresh)).toBe(idOf(old));
    expect(fresh.slice(idOf(fresh).length + 1)).toBe(
      createHmac('sha256', KEYS[0]!)
        .update(`koa.sess=${idOf(fresh)}`)
        .digest('base64url'),
    );
    const next = await request(after.app.callback()).get('/me').set('Cookie', `koa.sess=${fresh}`).expect(200);
    expect(next.headers['set-cookie']).toBeUndefined();
  });

  it('with signed: false needs no keys and puts the bare id in the cookie', async () => {
    const { app } = setup({ store: memoryStore(), signed: false }, null);
    const cookie = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
    expect(cookie).toMatch(UUID);
    const me = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(me.body.user).toBe('alice');
  });

  it('a session past its maxAge is gone', async () => {
    const { app } = setup({ store: memoryStore(), maxAge: 800 });
    const cookie = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
    await sleep(900);
    const me = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(me.body).toMatchObject({ user: null, isNew: true });
  });

  it('refuses data JSON cannot encode with a 500 SESSION_NOT_SERIALIZABLE, and writes nothing', async () => {
    const store = memoryStore();
    const { app, errors } = setup({ store });
    const cookie = sessionCookie((await request(app.callback()).get('/login').expect(200)).headers).value;
    const res = await request(app.callback()).get('/cycle').set('Cookie', `koa.sess=${cookie}`).expect(500);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(errors.take()).toMatchObject([{ code: 'SESSION_NOT_SERIALIZABLE', expose: false }]);
    expect(store.get(idOf(cookie))).not.toHaveProperty('cycle');
  });

  it('stays bounded under a flood of new visitors: the oldest sessions are evicted', async () => {
    const store = memoryStore({ max: 3 });
    const { app } = setup({ store });
    const cookies: string[] = [];
    for (let i = 0; i < 5; i++) {
      cookies.push(sessionCookie((await request(app.callback()).get(`/login?user=u${i}`).expect(200)).headers).value);
    }
    const users: Array<string | null> = [];
    for (const cookie of cookies) {
      users.push((await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200)).body.user);
    }
    expect(users).toEqual([null, null, 'u2', 'u3', 'u4']);
  });
});

describe('memoryStore()', () => {
  it('expires entries after their maxAge, or after ttl when there is none', async () => {
    const store = memoryStore({ ttl: 60 });
    store.set('a', { v: 1 }, 30);
    store.set('b', { v: 2 }, undefined);
    store.set('c', { v: 3 }, 10_000);
    expect(store.get('a')).toEqual({ v: 1, _rev: 1 });
    await sleep(40);
    expect(store.get('a')).toBeUndefined();
    expect(store.get('b')).toEqual({ v: 2, _rev: 1 });
    await sleep(40);
    expect(store.get('b')).toBeUndefined();
    expect(store.get('c')).toEqual({ v: 3, _rev: 1 });
  });

  it('returns copies: mutating what get() returned does not change the store', () => {
    const store = memoryStore();
    store.set('a', { list: [1] }, 1000);
    (store.get('a') as { list: number[] }).list.push(2);
    expect(store.get('a')).toEqual({ list: [1], _rev: 1 });
  });

  it('evicts the least recently written entry when full; a rewrite refreshes an entry', () => {
    const store = memoryStore({ max: 2 });
    store.set('a', { v: 1 }, 1000);
    store.set('b', { v: 2 }, 1000);
    store.set('a', { v: 3 }, 1000);
    store.set('c', { v: 4 }, 1000);
    expect(store.get('b')).toBeUndefined();
    // a rewrite is the entry's second revision
    expect(store.get('a')).toEqual({ v: 3, _rev: 2 });
    expect(store.get('c')).toEqual({ v: 4, _rev: 1 });
  });

  it('validates its options', () => {
    expect(() => memoryStore({ max: 0 })).toThrow(/"max"/);
    expect(() => memoryStore({ max: 1.5 })).toThrow(TypeError);
    expect(() => memoryStore({ ttl: -1 })).toThrow(/"ttl"/);
    expect(() => memoryStore({ size: 1 } as never)).toThrow(/unknown option "size"/);
  });
});

describe('a failing store', () => {
  function brokenStore(mode: 'reject' | 'throw' | 'hang' | 'set-reject'): SessionStore {
    const inner = memoryStore();
    return {
      get(id) {
        if (mode === 'reject') return Promise.reject(new Error('ECONNREFUSED 10.0.0.1:6379 secret-detail'));
        if (mode === 'throw') throw new Error('boom secret-detail');
        if (mode === 'hang') return new Promise(() => {});
        return inner.get(id);
      },
      set(id, data, maxAge) {
        if (mode === 'set-reject') return Promise.reject(new Error('READONLY secret-detail'));
        return inner.set(id, data, maxAge);
      },
      destroy: (id) => inner.destroy(id),
    };
  }

  for (const mode of ['reject', 'throw', 'hang'] as const) {
    it(`answers 503 SESSION_STORE_UNAVAILABLE when get() ${mode}s, without leaking details`, async () => {
      const { app, errors, hits } = setup({ store: brokenStore(mode), storeTimeout: 200 });
      const started = Date.now();
      const id = '00000000-0000-4000-8000-000000000000';
      const sig = createHmac('sha256', KEYS[0]!).update(`koa.sess=${id}`).digest('base64url');
      const res = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${id}.${sig}`).expect(503);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(res.text).toBe('Service Unavailable');
      expect(res.text).not.toContain('secret');
      // the handler ran and failed where it read ctx.session
      expect(hits.downstream).toBe(1);
      expect(errors.take()).toMatchObject([{ status: 503, expose: false, code: 'SESSION_STORE_UNAVAILABLE' }]);
    });

    it(`a request that never reads ctx.session is answered when get() ${mode}s`, async () => {
      const app = new Koa();
      app.keys = KEYS;
      const errors = collectAppErrors(app);
      app.use(session({ store: brokenStore(mode), storeTimeout: 200 }));
      app.use((ctx) => {
        ctx.body = ctx.path === '/health' ? 'up' : String(ctx.session!.user);
      });
      const id = '00000000-0000-4000-8000-000000000000';
      const sig = createHmac('sha256', KEYS[0]!).update(`koa.sess=${id}`).digest('base64url');
      const health = await request(app.callback()).get('/health').set('Cookie', `koa.sess=${id}.${sig}`).expect(200);
      expect(health.text).toBe('up');
      expect(health.headers['set-cookie']).toBeUndefined();
      errors.assertNone();
      await request(app.callback()).get('/me').set('Cookie', `koa.sess=${id}.${sig}`).expect(503);
      expect(errors.take()).toMatchObject([{ code: 'SESSION_STORE_UNAVAILABLE' }]);
    });
  }

  it('answers 503 when saving fails, after the handler ran', async () => {
    const { app, errors, hits } = setup({ store: brokenStore('set-reject') });
    const res = await request(app.callback()).get('/login').expect(503);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(hits.downstream).toBe(1);
    expect(errors.take()).toMatchObject([{ code: 'SESSION_STORE_UNAVAILABLE' }]);
  });
});
