import createError from 'http-errors';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { appWith, type TestApp } from '../helpers.js';

let current: TestApp | undefined;
afterEach(() => {
  current?.appErrors.assertNone();
  current = undefined;
});

describe('hostile error values', () => {
  test('a huge message is cut to maxMessageLength (default 1024 characters)', async () => {
    current = appWith(() => {
      throw createError(400, 'A'.repeat(5_000_000));
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(400);
    expect(res.body.detail).toHaveLength(1024);
    expect(res.body.detail.endsWith('…')).toBe(true);
    expect(res.text.length).toBeLessThan(2000);
  });

  test('maxMessageLength is honoured, and a surrogate pair is never cut in half', async () => {
    current = appWith(
      () => {
        throw createError(400, `${'a'.repeat(30)}${'😀'.repeat(100)}`);
      },
      { maxMessageLength: 32 },
    );
    const res = await request(current.app.callback()).get('/').set('Accept', 'text/plain');
    expect(res.text.length).toBeLessThanOrEqual(32);
    expect(res.text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(res.text).toMatch(/^a{30}…$|^a{30}😀?…$/u);
  });

  test('circular extra properties render as "[Circular]"', async () => {
    const details: Record<string, unknown> = { field: 'name' };
    details.self = details;
    const list: unknown[] = [1];
    list.push(list);
    current = appWith(() => {
      const extensions: Record<string, unknown> = { details, list };
      const err = createError(422, 'Invalid', { extensions });
      extensions.me = err;
      throw err;
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual({ field: 'name', self: '[Circular]' });
    expect(res.body.list).toEqual([1, '[Circular]']);
    expect(res.body).not.toHaveProperty('me.stack');
  });

  test('deep, wide, bigint and throwing extra properties stay bounded', async () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 50; i++) deep = { deep };
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const trap = {
      get boom() {
        throw new Error('getter');
      },
      ok: 1,
    };
    current = appWith(() => {
      throw createError(400, 'x', {
        extensions: { deep, wide, big: 2n ** 70n, trap, fn: () => 1, items: new Array(10_000).fill(0) },
      });
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.deep)).toContain('[Object]');
    expect(Object.keys(res.body.wide)).toHaveLength(50);
    expect(res.body.big).toBe((2n ** 70n).toString());
    expect(res.body.trap).toEqual({ ok: 1 });
    expect(res.body).not.toHaveProperty('fn');
    expect(res.body.items).toHaveLength(100);
  });

  test('extra properties larger than 16 KiB are dropped, the error still renders', async () => {
    current = appWith(() => {
      throw createError(422, 'Invalid', {
        extensions: { errors: Array.from({ length: 100 }, () => 'e'.repeat(1000)) },
      });
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(422);
    expect(res.body).not.toHaveProperty('errors');
    expect(res.body.detail).toBe('Invalid');
  });

  test('a __proto__ own property cannot pollute the rendered object', async () => {
    current = appWith(() => {
      const extensions = { fine: 1 };
      Object.defineProperty(extensions, '__proto__', { value: { polluted: true }, enumerable: true });
      throw createError(400, 'x', { extensions });
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.body.fine).toBe(1);
    expect(res.body).not.toHaveProperty('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('a thrown value whose inspection throws is still a 500', async () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    current = appWith(() => {
      throw revoked.proxy;
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(500);
    expect(current.appErrors.take()).toHaveLength(1);
  });
});
