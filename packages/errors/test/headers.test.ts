import createError from 'http-errors';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { appWith, shouldNotHaveHeader, type TestApp } from './helpers.js';

let current: TestApp | undefined;
afterEach(() => {
  current?.appErrors.assertNone();
  current = undefined;
});

describe('response headers', () => {
  test('every header of err.headers is set on the response', async () => {
    current = appWith(() => {
      throw createError(401, 'Token expired', {
        code: 'TOKEN_EXPIRED',
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"', 'X-Trace': ['a', 'b'], 'Retry-After': 3 },
      });
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.headers['x-trace']).toBe('a, b');
    expect(res.headers['retry-after']).toBe('3');
  });

  test('headers of the failed body never leak into the error response', async () => {
    current = appWith(async (ctx) => {
      ctx.set('Content-Type', 'application/pdf');
      ctx.set('Content-Disposition', 'attachment; filename="report.pdf"');
      ctx.set('Content-Range', 'bytes 0-99/1000');
      ctx.set('Content-Encoding', 'gzip');
      ctx.set('ETag', '"abc"');
      ctx.set('Last-Modified', new Date(0).toUTCString());
      ctx.set('Cache-Control', 'public, max-age=31536000');
      ctx.set('Accept-Ranges', 'bytes');
      ctx.body = Buffer.alloc(100);
      throw new Error('render failed');
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    for (const name of [
      'content-disposition',
      'content-range',
      'content-encoding',
      'etag',
      'last-modified',
      'cache-control',
      'accept-ranges',
    ]) {
      shouldNotHaveHeader(res.headers, name);
    }
    current.appErrors.take();
  });

  test('Vary, CORS and other headers set above the failure are kept', async () => {
    current = appWith(async (ctx) => {
      ctx.vary('Origin');
      ctx.set('Access-Control-Allow-Origin', 'https://app.example');
      ctx.set('Access-Control-Expose-Headers', 'X-Request-Id');
      ctx.set('X-Request-Id', 'r-1');
      throw createError(404, 'No such user');
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(404);
    expect(res.headers.vary).toBe('Origin, Accept');
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-expose-headers']).toBe('X-Request-Id');
    expect(res.headers['x-request-id']).toBe('r-1');
  });

  test('Content-Type and Content-Length in err.headers are ignored', async () => {
    current = appWith(() => {
      throw createError(400, 'x', { headers: { 'Content-Type': 'text/html', 'content-length': '1' } });
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body.detail).toBe('x');
  });

  test('an invalid header in err.headers is dropped, the others are sent', async () => {
    current = appWith(() => {
      throw createError(400, 'x', {
        headers: { 'X-Bad': 'line\r\nSet-Cookie: stolen=1', 'Bad Name': 'v', 'X-Obj': { a: 1 }, 'X-Good': 'ok' },
      });
    });
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(400);
    expect(res.headers['x-good']).toBe('ok');
    shouldNotHaveHeader(res.headers, 'x-bad');
    shouldNotHaveHeader(res.headers, 'set-cookie');
    shouldNotHaveHeader(res.headers, 'x-obj');
  });
});
