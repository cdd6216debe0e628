import { basicAuth } from '@koa-kit/auth-basic';
import request from 'supertest';
import { afterEach, expect, it } from 'vitest';
import { appWith, b64 } from '../helpers.js';

// A user table built from JSON (or with a computed key) can hold an own "__proto__" entry; it
// must be a user like any other, and names such as "constructor" must never match by accident.
let current: ReturnType<typeof appWith> | undefined;
afterEach(() => {
  current?.errors.assertNone();
  current = undefined;
});

const users = JSON.parse('{"__proto__": "proto pass", "alice": "wonder"}') as Record<string, string>;

it('authenticates a user named __proto__ with its own password only', async () => {
  current = appWith(basicAuth({ users }));
  const ok = await request(current.app.callback())
    .get('/')
    .set('Authorization', `Basic ${b64('__proto__:proto pass')}`);
  expect(ok.status).toBe(200);
  const wrong = await request(current.app.callback())
    .get('/')
    .set('Authorization', `Basic ${b64('__proto__:wonder')}`);
  expect(wrong.status).toBe(401);
});

it('refuses prototype names that are not users, without a 500', async () => {
  current = appWith(basicAuth({ users: { alice: 'wonder' } }));
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    for (const password of ['', 'wonder', '[object Object]', 'function Object() { [native code] }']) {
      const res = await request(current.app.callback())
        .get('/')
        .set('Authorization', `Basic ${b64(`${name}:${password}`)}`);
      expect(res.status).toBe(401);
    }
  }
  expect(current.seen.ran).toBe(0);
});
