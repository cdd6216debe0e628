import Router from '@koa/router';
import { errors } from '@koa-kit/errors';
import { collectAppErrors, listen, rawRequest } from '@koa-kit/testing';
import createError from 'http-errors';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { appWith, shouldNotHaveHeader, type TestApp } from '../helpers.js';

let current: TestApp | undefined;
afterEach(() => {
  current?.appErrors.assertNone();
  current = undefined;
});

const invalid = () =>
  appWith(() => {
    throw createError(422, 'Invalid', { code: 'VALIDATION_FAILED' });
  });

describe('err.headerSent', () => {
  test('is set before the error event when the headers had already gone', async () => {
    current = appWith((ctx) => {
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain' });
      ctx.res.write('partial');
      throw new Error('late failure');
    });
    const server = await listen(current.app);
    try {
      await rawRequest(server.url, '/').catch(() => undefined);
    } finally {
      await server.close();
    }
    const [err] = current.appErrors.take() as (Error & { headerSent?: boolean })[];
    expect(err?.message).toBe('late failure');
    expect(err?.headerSent).toBe(true);
  });
});

describe('media-type parameters do not defeat negotiation', () => {
  test.each([
    ['application/json; charset=utf-8'],
    ['application/problem+json; charset=utf-8'],
    ['application/json; version=1'],
  ])('Accept %s gets problem+json', async (accept) => {
    current = invalid();
    const res = await request(current.app.callback()).get('/').set('Accept', accept);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  });

  test('text/html; charset=utf-8 gets HTML, text/plain;format=flowed gets text', async () => {
    current = invalid();
    const html = await request(current.app.callback()).get('/').set('Accept', 'text/html; charset=utf-8');
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    const text = await request(current.app.callback()).get('/').set('Accept', 'text/plain; format=flowed');
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  test('q still orders the offers; q=0 refuses one', async () => {
    current = invalid();
    const res = await request(current.app.callback()).get('/').set('Accept', 'application/json;q=0.5, text/html');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const refused = await request(current.app.callback()).get('/').set('Accept', 'text/html;q=0, text/plain;q=0.1');
    expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  test.each([['text/html;q=abc'], [';;;,,,'], ['*/*;q=2'], ['text/html, nonsense']])(
    'a malformed Accept (%s) is treated as missing: problem+json',
    async (accept) => {
      current = invalid();
      const res = await request(current.app.callback()).get('/').set('Accept', accept);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    },
  );
});

describe('Allow is derived only for the router’s own 405/501', () => {
  test('a 405 thrown by a matched route itself gets no derived Allow listing the refused method', async () => {
    const app = new Koa({ env: 'test' });
    const appErrors = collectAppErrors(app);
    const router = new Router();
    router.get('/items', () => {
      throw createError(405, 'Not for you');
    });
    router.post('/items', (ctx) => {
      ctx.body = 'ok';
    });
    app.use(errors());
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
    const res = await request(app.callback()).get('/items');
    expect(res.status).toBe(405);
    shouldNotHaveHeader(res.headers, 'Allow');
    const routerOwn = await request(app.callback()).put('/items');
    expect(routerOwn.status).toBe(405);
    expect(routerOwn.headers.allow).toBe('HEAD, GET, POST');
    appErrors.assertNone();
  });
});

describe('instance is a valid URI reference', () => {
  test.each([['/a"b'], ['/x^y'], ['/bad%zz'], ['/sp{a}c|e`']])('path %s', async (path) => {
    current = invalid();
    const server = await listen(current.app);
    try {
      const res = await rawRequest(server.url, path, { headers: { Accept: 'application/json' } });
      const instance = JSON.parse(res.body.toString()).instance as string;
      expect(instance).toMatch(/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/);
      expect(decodeURI(instance)).toBe(decodeURI(instance)); // does not throw
      expect(instance.startsWith('/')).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('a valid path is kept as it is', async () => {
    current = invalid();
    const res = await request(current.app.callback()).get('/users/%C3%A9/7').set('Accept', 'application/json');
    expect(JSON.parse(res.text).instance).toBe('/users/%C3%A9/7');
  });
});

describe('title and type', () => {
  test('err.title of an exposed error is used; a relative type is kept', async () => {
    current = appWith(() => {
      throw createError(403, 'Your balance is 30', {
        title: 'You do not have enough credit',
        type: '/problems/out-of-credit',
      });
    });
    const res = await request(current.app.callback()).get('/').set('Accept', 'application/json');
    const body = JSON.parse(res.text);
    expect(body.title).toBe('You do not have enough credit');
    expect(body.type).toBe('/problems/out-of-credit');
  });

  test('a 5xx keeps the status text as title and about:blank as type', async () => {
    current = appWith(() => {
      throw createError(500, 'db down', { title: 'Postgres at 10.0.0.3 failed', type: '/internal/db' });
    });
    const res = await request(current.app.callback()).get('/').set('Accept', 'application/json');
    current.appErrors.take();
    const body = JSON.parse(res.text);
    expect(body.title).toBe('Internal Server Error');
    expect(body.type).toBe('about:blank');
  });

  test('a type with spaces or quotes is not a URI reference: about:blank', async () => {
    current = appWith(() => {
      throw createError(400, 'x', { type: 'not a "uri"' });
    });
    const res = await request(current.app.callback()).get('/').set('Accept', 'application/json');
    expect(JSON.parse(res.text).type).toBe('about:blank');
  });
});
