import { errors } from '@koa-kit/errors';
import createError from 'http-errors';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { appWith, type TestApp } from '../helpers.js';

let current: TestApp | undefined;
afterEach(() => {
  current?.appErrors.assertNone();
  current = undefined;
  vi.unstubAllEnvs();
});

describe('a thrown non-Error never shows its contents', () => {
  test('a plain object with a status: the status text, no dump of its properties', async () => {
    current = appWith(() => {
      throw { status: 400, sessionToken: 'tok-secret-123', internal: { db: 'postgres://u:p@h' } };
    });
    const res = await request(current.app.callback()).get('/').set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('tok-secret-123');
    expect(res.text).not.toContain('postgres');
    expect(res.text).not.toContain('sessionToken');
    expect(JSON.parse(res.text).detail).toBe('Bad Request');
  });

  test('a plain object with a string message, exposed: that message', async () => {
    current = appWith(() => {
      throw { status: 409, message: 'Already taken', secret: 'xyz-secret' };
    });
    const res = await request(current.app.callback()).get('/').set('Accept', 'text/plain');
    expect(res.status).toBe(409);
    expect(res.text).toBe('Already taken');
  });

  test('a thrown string (500): the status text only', async () => {
    current = appWith(() => {
      throw 'db password hunter2';
    });
    const res = await request(current.app.callback()).get('/').set('Accept', 'application/json');
    expect(current.appErrors.take()).toHaveLength(1);
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('hunter2');
  });
});

describe('extension members come only from err.extensions', () => {
  test('enumerable properties of a library error (a parser echoing the body) are not rendered', async () => {
    current = appWith(() => {
      throw createError(400, 'Invalid JSON', { body: '{"password":"hunter2", oops}', storageErrors: [] });
    });
    const res = await request(current.app.callback()).get('/').set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('hunter2');
    expect(JSON.parse(res.text)).not.toHaveProperty('storageErrors');
  });

  test('err.extensions are rendered as members, beside code', async () => {
    current = appWith(() => {
      throw createError(422, 'Email is invalid', {
        code: 'VALIDATION_FAILED',
        extensions: { errors: [{ field: 'email' }] },
      });
    });
    const res = await request(current.app.callback()).get('/').set('Accept', 'application/json');
    const body = JSON.parse(res.text);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors).toEqual([{ field: 'email' }]);
    expect(body).not.toHaveProperty('extensions');
  });

  test('err.extensions cannot override the standard members', async () => {
    current = appWith(() => {
      throw createError(422, 'Bad', { extensions: { status: 200, title: 'x', instance: 'y', code: 'Z', detail: 'd' } });
    });
    const res = await request(current.app.callback()).get('/p').set('Accept', 'application/json');
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({
      status: 422,
      title: 'Unprocessable Entity',
      instance: '/p',
      code: 'UNPROCESSABLE_ENTITY',
      detail: 'Bad',
    });
  });
});

describe('stacks only when NODE_ENV is explicitly development or stack: true', () => {
  test('NODE_ENV unset (Koa then says app.env "development"): no stack', async () => {
    vi.stubEnv('NODE_ENV', undefined as unknown as string);
    delete process.env.NODE_ENV;
    const app = new Koa();
    expect(app.env).toBe('development');
    app.use(errors());
    app.use(() => {
      throw createError(400, 'nope');
    });
    const res = await request(app.callback()).get('/').set('Accept', 'application/json');
    expect(JSON.parse(res.text)).not.toHaveProperty('stack');
  });

  test('NODE_ENV=development: stack', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    const app = new Koa();
    app.use(errors());
    app.use(() => {
      throw createError(400, 'nope');
    });
    const res = await request(app.callback()).get('/').set('Accept', 'application/json');
    expect(JSON.parse(res.text).stack).toContain('nope');
  });

  test('stack: true in any environment', async () => {
    current = appWith(
      () => {
        throw createError(400, 'nope');
      },
      { stack: true },
    );
    const res = await request(current.app.callback()).get('/').set('Accept', 'application/json');
    expect(JSON.parse(res.text).stack).toContain('nope');
  });
});
