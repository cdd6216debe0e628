import { errors } from '@koa-kit/errors';
import { codes, pageInfo, type StatusEnvelopeOptions, statusEnvelope } from '@koa-kit/status-envelope';
import { collectAppErrors } from '@koa-kit/testing';
import createError from 'http-errors';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, test } from 'vitest';

function app(handler: Koa.Middleware, options?: StatusEnvelopeOptions) {
  const koa = new Koa({ env: 'test' });
  const appErrors = collectAppErrors(koa);
  koa.use(errors({ format: 'envelope' }));
  koa.use(statusEnvelope(options));
  koa.use(handler);
  return { http: request(koa.callback()), appErrors };
}

/** What a FastFlyer client checks: the field names and their JSON types. */
function expectFastFlyerShape(body: Record<string, unknown>): void {
  expect(typeof body.code).toBe('number');
  expect(typeof body.message).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body).toHaveProperty('data');
}

describe('the envelope as a FastFlyer client reads it', () => {
  test('success is { code, message: "", detail: "", data }', async () => {
    const { http } = app((ctx) => {
      ctx.body = { itemId: 7 };
    });
    const res = await http.get('/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 200, message: '', detail: '', data: { itemId: 7 } });
    expectFastFlyerShape(res.body);
  });

  test('an error has detail as a string, the kit code under error, and the truthful status', async () => {
    const { http } = app(() => {
      throw createError(422, 'Email is invalid', { code: 'VALIDATION_FAILED', extensions: { field: 'email' } });
    });
    const res = await http.get('/');
    expect(res.status).toBe(422);
    expectFastFlyerShape(res.body);
    expect(res.body).toEqual({
      code: 422,
      message: 'Unprocessable entity',
      detail: 'Email is invalid',
      data: null,
      error: { code: 'VALIDATION_FAILED', field: 'email' },
    });
  });

  test('pageInfo() builds FastFlyer paging { total, offset, size } beside data', async () => {
    const { http } = app((ctx) => {
      ctx.state.envelope = { pageInfo: pageInfo({ total: 31, offset: 20, size: 10 }) };
      ctx.body = [1];
    });
    const res = await http.get('/');
    expect(res.body).toEqual({
      code: 200,
      message: '',
      detail: '',
      data: [1],
      pageInfo: { total: 31, offset: 20, size: 10 },
    });
  });

  test.each([[{ total: -1, offset: 0, size: 1 }], [{ total: 1, offset: 0.5, size: 1 }], [{ total: 1, offset: 0 }]])(
    'pageInfo(%j) throws a TypeError',
    (input) => {
      expect(() => pageInfo(input as never)).toThrow(TypeError);
    },
  );

  test('a free-form pageInfo in ctx.state.envelope is a server error, never sent as it is', async () => {
    const { http, appErrors } = app((ctx) => {
      ctx.state.envelope = { pageInfo: { page: 2, secret: 'x' } as never };
      ctx.body = [1];
    });
    const res = await http.get('/');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('secret');
    expect(appErrors.take()).toHaveLength(1);
  });

  test('codeBase (FastFlyer STATUS_CODE_BASE) is added to every body code, success and error', async () => {
    const { http } = app(
      (ctx) => {
        if (ctx.path === '/fail') throw createError(404, 'No such item');
        ctx.body = { ok: true };
      },
      { codeBase: 10000 },
    );
    expect((await http.get('/')).body.code).toBe(10200);
    const fail = await http.get('/fail');
    expect(fail.status).toBe(404);
    expect(fail.body.code).toBe(10404);
  });

  test.each([[{ codeBase: -1 }], [{ codeBase: 1.5 }], [{ messages: 'fr' }]])('refuses %j', (options) => {
    expect(() => statusEnvelope(options as never)).toThrow(TypeError);
  });

  test('messages: "zh" gives FastFlyer\'s Chinese default messages', async () => {
    const { http, appErrors } = app(
      (ctx) => {
        if (ctx.path === '/missing') throw createError(404, 'No such item');
        throw createError(500, 'db down');
      },
      { messages: 'zh' },
    );
    const missing = await http.get('/missing');
    expect(missing.body).toMatchObject({ code: 404, message: '资源未找到', detail: 'No such item' });
    const crash = await http.get('/crash');
    expect(crash.body).toMatchObject({ code: 500, message: '服务器内部错误', detail: 'Internal Server Error' });
    expect(appErrors.take()).toHaveLength(1);
  });

  test('every code of the tables has a Chinese message', async () => {
    const { zhMessages } = await import('../src/messages.js');
    for (const entry of Object.values(codes)) expect(zhMessages.get(entry.code)).toMatch(/\S/);
  });
});
