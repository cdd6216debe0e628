import createError from 'http-errors';
import request from 'supertest';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { appWith, type TestApp } from './helpers.js';

let current: TestApp | undefined;
afterEach(() => {
  current?.appErrors.assertNone();
  current = undefined;
});

function throwing(value: unknown) {
  return () => {
    throw value;
  };
}

describe('status and message', () => {
  test.each([
    ['a string', 'secret string'],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a symbol', Symbol('s')],
  ])('%s thrown becomes a 500 that shows only the status text', async (_label, value) => {
    current = appWith(throwing(value));
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ status: 500, title: 'Internal Server Error', detail: 'Internal Server Error' });
    expect(res.text).not.toContain('secret');
    const emitted = current.appErrors.take();
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toBeInstanceOf(Error);
    expect((emitted[0] as Error).cause).toBe(value);
  });

  test('a plain object with a 4xx status is rendered with its status and message', async () => {
    current = appWith(throwing({ status: 403, message: 'Not yours', code: 'NOT_OWNER' }));
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ detail: 'Not yours', code: 'NOT_OWNER' });
  });

  test('statusCode is used when status is absent', async () => {
    current = appWith(throwing(Object.assign(new Error('gone'), { statusCode: 410 })));
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(410);
    expect(res.body.detail).toBe('gone');
  });

  test.each([[200], [302], [399], [600], [1000], [404.5], ['404'], [-1]])(
    'a status of %j is not an error status: 500',
    async (status) => {
      current = appWith(throwing(Object.assign(new Error('odd status'), { status })));
      const res = await request(current.app.callback()).get('/');
      expect(res.status).toBe(500);
      expect(res.body.detail).toBe('Internal Server Error');
      expect(current.appErrors.take()).toHaveLength(1);
    },
  );

  test('a 5xx shows the status text, never its message or code, unless exposed', async () => {
    const err = Object.assign(new Error('db password is hunter2'), { code: 'ECONNREFUSED' });
    current = appWith(throwing(err));
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain('ECONNREFUSED');
    expect(res.body.code).toBe('INTERNAL_SERVER_ERROR');
    expect(current.appErrors.take()).toEqual([err]);
  });

  test('a 5xx HttpError keeps its documented code, not its message', async () => {
    current = appWith(throwing(createError(503, 'redis down at 10.0.0.3', { code: 'STORE_UNAVAILABLE' })));
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ detail: 'Service Unavailable', code: 'STORE_UNAVAILABLE' });
    expect(res.text).not.toContain('10.0.0.3');
    current.appErrors.take();
  });

  test('a 5xx with expose: true shows its message', async () => {
    current = appWith(throwing(createError(503, 'Maintenance until 14:00', { expose: true })));
    const res = await request(current.app.callback()).get('/');
    expect(res.body.detail).toBe('Maintenance until 14:00');
    current.appErrors.take();
  });

  test('a 4xx with expose: false shows only the status text and no extra properties', async () => {
    current = appWith(throwing(createError(400, 'parser internals', { expose: false, secret: 'x' })));
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('Bad Request');
    expect(res.body).not.toHaveProperty('secret');
  });

  test('a code that is not an upper-case identifier is replaced by the status code', async () => {
    current = appWith(throwing(createError(400, 'bad', { code: 'lower-case code' })));
    const res = await request(current.app.callback()).get('/');
    expect(res.body.code).toBe('BAD_REQUEST');
  });

  test("an absolute URI type is kept; library tags such as raw-body's dotted types are not", async () => {
    current = appWith((ctx) => {
      if (ctx.path === '/uri') throw createError(400, 'x', { type: 'https://example.com/probs/out-of-credit' });
      throw createError(413, 'too big', { type: 'entity.too.large' });
    });
    const app = current.app.callback();
    expect((await request(app).get('/uri')).body.type).toBe('https://example.com/probs/out-of-credit');
    const big = await request(app).get('/big');
    expect(big.body.type).toBe('about:blank');
    expect(big.body).not.toHaveProperty('entity');
  });

  test('the stack is shown only when NODE_ENV is development', async () => {
    const boom = () => {
      throw new Error('kaboom');
    };
    const prod = appWith(boom, undefined, 'production');
    const resProd = await request(prod.app.callback()).get('/');
    expect(resProd.text).not.toContain('kaboom');
    expect(resProd.body).not.toHaveProperty('stack');
    expect(prod.appErrors.take()).toHaveLength(1);

    vi.stubEnv('NODE_ENV', 'development');
    try {
      current = appWith(boom, undefined, 'development');
      const resDev = await request(current.app.callback()).get('/');
      expect(resDev.body.stack).toMatch(/^Error: kaboom\n\s+at /);
      const html = await request(current.app.callback()).get('/').set('Accept', 'text/html');
      expect(html.text).toContain('<pre>Error: kaboom');
      current.appErrors.take();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  test('the stack option overrides NODE_ENV both ways', async () => {
    const boom = () => {
      throw new Error('kaboom');
    };
    const forced = appWith(boom, { stack: true }, 'production');
    expect((await request(forced.app.callback()).get('/')).body.stack).toContain('kaboom');
    forced.appErrors.take();
    vi.stubEnv('NODE_ENV', 'development');
    try {
      current = appWith(boom, { stack: false }, 'development');
      expect((await request(current.app.callback()).get('/')).body).not.toHaveProperty('stack');
      current.appErrors.take();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  test('an error whose getters throw still renders', async () => {
    const hostile = new Proxy(new Error('x'), {
      get(_target, key) {
        if (key === 'then') return undefined;
        throw new Error(`no ${String(key)}`);
      },
      ownKeys() {
        throw new Error('no keys');
      },
    });
    current = appWith(throwing(hostile));
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(500);
    expect(res.body.title).toBe('Internal Server Error');
    expect(current.appErrors.take()).toHaveLength(1);
  });
});
