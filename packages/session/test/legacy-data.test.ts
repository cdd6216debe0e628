import { randomUUID } from 'node:crypto';
import { redisStore, session } from '@koa-kit/session';
import { redisForTests } from '@koa-kit/testing';
import { Redis } from 'ioredis';
import Keygrip from 'keygrip';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS, makeApp, sessionCookie } from './helpers.js';

// What a user upgrading finds: cookies koa-session wrote, and sessions the previous version of
// this store left in Redis (one JSON string per key, `SET key json PX ms`; now a hash).

const url = await redisForTests();
const PREFIX = `koa-kit:test:session-legacy:${process.pid}:${randomUUID().slice(0, 8)}:`;

it('a koa-session cookie (base64 JSON, sha1 .sig companion) is no session: missed, never a 500', async () => {
  const { app, errors } = makeApp(session());
  const missed: unknown[] = [];
  app.on('session:missed', (event) => missed.push(event));
  const value = Buffer.from(
    JSON.stringify({ user: 'mallory', _expire: Date.now() + 60_000, _maxAge: 60_000 }),
  ).toString('base64');
  const sig = new Keygrip(KEYS).sign(`koa.sess=${value}`);
  const me = await request(app.callback())
    .get('/me')
    .set('Cookie', `koa.sess=${value}; koa.sess.sig=${sig}`)
    .expect(200);
  expect(me.body).toMatchObject({ user: null, isNew: true });
  expect(missed).toHaveLength(1);
  // logging in replaces the old cookie with an encrypted one
  const login = await request(app.callback())
    .get('/login?user=alice')
    .set('Cookie', `koa.sess=${value}; koa.sess.sig=${sig}`)
    .expect(200);
  expect(sessionCookie(login.headers).value).not.toBe(value);
  errors.assertNone();
});

describe.skipIf(url === null)('sessions the previous redisStore() left in Redis', () => {
  const admin = url === null ? undefined : new Redis(url);
  afterAll(async () => {
    const keys = await admin!.keys(`${PREFIX}*`);
    if (keys.length) await admin!.del(...keys);
    admin!.disconnect();
  });

  it('an old string entry reads as a missing session (no 503, no 500) and is replaced when that id is written', async () => {
    const client = new Redis(url!);
    const store = redisStore({ client, prefix: PREFIX });
    const { app, errors } = makeApp(session({ store }));
    const missed: unknown[] = [];
    app.on('session:missed', (event) => missed.push(event));
    const id = randomUUID();
    const old = JSON.stringify({ user: 'alice', _expire: Date.now() + 60_000, _maxAge: 60_000 });
    await admin!.set(PREFIX + id, old, 'PX', 60_010);
    const cookie = `${id}.${new Keygrip(KEYS, 'sha256').sign(`koa.sess=${id}`)}`;

    const me = await request(app.callback()).get('/me').set('Cookie', `koa.sess=${cookie}`).expect(200);
    expect(me.body).toMatchObject({ user: null, isNew: true });
    expect(missed).toHaveLength(1);
    // logging in again gives a new id (a missed session always does) and a hash entry
    const login = await request(app.callback())
      .get('/login?user=alice')
      .set('Cookie', `koa.sess=${cookie}`)
      .expect(200);
    const fresh = sessionCookie(login.headers).value;
    const freshId = fresh.slice(0, fresh.lastIndexOf('.'));
    expect(freshId).not.toBe(id);
    expect(await admin!.type(PREFIX + freshId)).toBe('hash');
    // the old entry is left to its own PX expiry; a write to its id (a store call with that id) overwrites it
    expect(await admin!.get(PREFIX + id)).toBe(old);
    expect(await store.set(id, { user: 'bob' }, 60_000)).toBe(1);
    expect(await admin!.type(PREFIX + id)).toBe('hash');
    expect(await store.get(id)).toMatchObject({ user: 'bob', _rev: 1 });
    // touch() of an old entry must not fail either
    await admin!.set(PREFIX + id, old, 'PX', 60_010);
    expect(await store.touch!(id, {}, 60_000)).toBe(false);
    errors.assertNone();
    client.disconnect();
  });
});
