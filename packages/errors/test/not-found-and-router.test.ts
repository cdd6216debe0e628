import Router from '@koa/router';
import { errors } from '@koa-kit/errors';
import { collectAppErrors } from '@koa-kit/testing';
import createError from 'http-errors';
import Koa from 'koa';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { appWith, type TestApp } from './helpers.js';

let current: TestApp | undefined;
afterEach(() => {
  current?.appErrors.assertNone();
  current = undefined;
});

function routed(allowed: Parameters<Router['allowedMethods']>[0]) {
  const app = new Koa();
  const appErrors = collectAppErrors(app);
  const router = new Router();
  let reached = false;
  router.get('/items', (ctx) => {
    reached = true;
    ctx.body = [];
  });
  router.post('/items', (ctx) => {
    ctx.status = 201;
  });
  router.delete('/items/:id', (ctx) => {
    ctx.status = 204;
  });
  app.use(errors());
  app.use(router.routes());
  app.use(router.allowedMethods(allowed));
  return { app, appErrors, reached: () => reached };
}

describe('"nothing answered"', () => {
  test('becomes a rendered 404', async () => {
    current = appWith(async () => {});
    const res = await request(current.app.callback()).get('/nowhere').set('Accept', 'application/json');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'Not Found',
      instance: '/nowhere',
      code: 'NOT_FOUND',
    });
  });

  test("stays Koa's plain 404 with notFound: false", async () => {
    current = appWith(async () => {}, { notFound: false });
    const res = await request(current.app.callback()).get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('Not Found');
  });

  test('a 404 with a body of its own is left alone', async () => {
    current = appWith(async (ctx) => {
      ctx.status = 404;
      ctx.body = { mine: true };
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ mine: true });
  });

  test('a 204 is left alone', async () => {
    current = appWith(async (ctx) => {
      ctx.body = null;
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  test('HEAD gets the 404 status and headers without a body', async () => {
    current = appWith(async () => {});
    const res = await request(current.app.callback()).head('/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.text ?? '').toBe('');
  });
});

describe('@koa/router allowedMethods({ throw: true })', () => {
  test('405 is rendered with the Allow header the router drops', async () => {
    const { app, appErrors, reached } = routed({ throw: true });
    const res = await request(app.callback()).put('/items').set('Accept', 'application/json');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('HEAD, GET, POST');
    expect(res.body).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    expect(reached()).toBe(false);
    appErrors.assertNone();
  });

  test('the Allow header lists only the methods of the matched path', async () => {
    const { app, appErrors } = routed({ throw: true });
    const res = await request(app.callback()).get('/items/3');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('DELETE');
    appErrors.assertNone();
  });

  test('501 for a method the router does not implement, emitted as a 5xx', async () => {
    const { app, appErrors } = routed({ throw: true });
    const res = await request(app.callback()).options('/items').set('X-HTTP-Method-Override', 'x');
    expect(res.status).toBe(200); // OPTIONS is answered by the router itself
    const unknown = await request(app.callback()).search('/items');
    expect(unknown.status).toBe(501);
    expect(unknown.headers.allow).toBe('HEAD, GET, POST');
    expect(unknown.body.code).toBe('NOT_IMPLEMENTED');
    expect(appErrors.take()).toHaveLength(1);
  });

  test('an Allow header the error carries itself wins', async () => {
    const { app, appErrors } = routed({
      throw: true,
      methodNotAllowed: () => createError(405, 'Use GET', { headers: { Allow: 'GET' } }),
    });
    const res = await request(app.callback()).put('/items');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
    expect(res.body.detail).toBe('Use GET');
    appErrors.assertNone();
  });

  test('a route that matched nothing is a plain rendered 404', async () => {
    const { app, appErrors } = routed({ throw: true });
    const res = await request(app.callback()).put('/other');
    expect(res.status).toBe(404);
    expect(res.headers).not.toHaveProperty('allow');
    appErrors.assertNone();
  });
});
