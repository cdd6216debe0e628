import { errors } from '@koa-kit/errors';
import { type StatusEnvelopeOptions, statusEnvelope, thirdPartyError } from '@koa-kit/status-envelope';
import { collectAppErrors, listen } from '@koa-kit/testing';
import createError from 'http-errors';
import Koa from 'koa';
import { afterEach, describe, expect, test } from 'vitest';

// errors({ format: 'envelope' }) above statusEnvelope(): the two packages agree on
// `err.envelopeCode` (numeric body code) and the ctx.state keys of ENVELOPE_STATE (internal/common).

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function pair(options?: StatusEnvelopeOptions) {
  const app = new Koa();
  const appErrors = collectAppErrors(app);
  app.use(errors({ format: 'envelope' }));
  app.use(statusEnvelope(options));
  app.use(async (ctx) => {
    switch (ctx.path) {
      case '/ok':
        ctx.body = { id: 1 };
        return;
      case '/invalid':
        throw createError(422, 'Email is invalid', {
          code: 'VALIDATION_FAILED',
          extensions: { errors: [{ field: 'email' }] },
        });
      case '/timeout':
        throw thirdPartyError(604, 'billing timed out after 10.0.0.7:8443', {
          cause: new Error('ETIMEDOUT'),
          headers: { 'Retry-After': '5' },
        });
      case '/crash':
        throw new Error('null pointer in secret module');
      default:
    }
  });
  const server = await listen(app);
  closers.push(() => server.close());
  const get = async (path: string) => {
    const res = await fetch(server.url + path, { headers: { accept: 'text/html' } });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  return { get, appErrors };
}

describe('errors({ format: "envelope" }) above statusEnvelope()', () => {
  test('every JSON response is an envelope with the right HTTP status', async () => {
    const { get, appErrors } = await pair();

    const ok = await get('/ok');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ code: 200, message: '', detail: '', data: { id: 1 } });

    const invalid = await get('/invalid');
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(invalid.body).toEqual({
      code: 422,
      message: 'Unprocessable entity',
      detail: 'Email is invalid',
      data: null,
      error: { code: 'VALIDATION_FAILED', errors: [{ field: 'email' }] },
    });

    const missing = await get('/missing');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      code: 404,
      message: 'Resource not found',
      detail: 'Not Found',
      data: null,
      error: { code: 'NOT_FOUND' },
    });

    const crash = await get('/crash');
    expect(crash.status).toBe(500);
    expect(crash.body).toEqual({
      code: 500,
      message: 'Internal server error',
      detail: 'Internal Server Error',
      data: null,
      error: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(crash.body)).not.toContain('secret');
    expect(appErrors.take()).toHaveLength(1);
  });

  test('a thirdPartyError is HTTP 504 with body code 604, its message and cause hidden', async () => {
    const { get, appErrors } = await pair();
    const res = await get('/timeout');
    expect(res.status).toBe(504);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body).toEqual({
      code: 604,
      message: 'Third-party service timed out',
      detail: 'Gateway Timeout',
      data: null,
      error: { code: 'THIRD_PARTY_TIMEOUT_ERROR' },
    });
    expect(JSON.stringify(res.body)).not.toContain('10.0.0.7');
    const emitted = appErrors.take() as Error[];
    expect(emitted).toHaveLength(1);
    expect((emitted[0]!.cause as Error).message).toBe('ETIMEDOUT');
  });

  test("httpStatus: 'always-200' makes errors HTTP 200 too, codes stay in the body", async () => {
    const { get, appErrors } = await pair({ httpStatus: 'always-200' });
    const timeout = await get('/timeout');
    expect(timeout.status).toBe(200);
    expect(timeout.body.code).toBe(604);
    const missing = await get('/missing');
    expect(missing.status).toBe(200);
    expect(missing.body.code).toBe(404);
    const ok = await get('/ok');
    expect(ok.body).toEqual({ code: 200, message: '', detail: '', data: { id: 1 } });
    appErrors.take();
  });

  test('problem+json (the default format) ignores always-200: statuses stay truthful', async () => {
    const app = new Koa();
    const appErrors = collectAppErrors(app);
    app.use(errors());
    app.use(statusEnvelope({ httpStatus: 'always-200' }));
    app.use(() => {
      throw thirdPartyError(603);
    });
    const server = await listen(app);
    closers.push(() => server.close());
    const res = await fetch(server.url);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 503, code: 'THIRD_PARTY_UNAVAILABLE_ERROR' });
    appErrors.take();
  });
});
