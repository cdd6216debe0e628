import createError from 'http-errors';
import request from 'supertest';
import { afterEach, describe, expect, test } from 'vitest';
import { appWith, type TestApp } from './helpers.js';

let current: TestApp | undefined;
afterEach(() => {
  current?.appErrors.assertNone();
  current = undefined;
});

const invalid = () =>
  appWith(() => {
    throw createError(422, 'Name is <required> & "quoted"', {
      code: 'VALIDATION_FAILED',
      extensions: { errors: [{ field: 'name', message: 'required' }] },
    });
  });

describe('content negotiation', () => {
  test('a JSON client gets RFC 9457 problem details with code and exposed extra properties', async () => {
    current = invalid();
    const res = await request(current.app.callback()).get('/users/7?x=1').set('Accept', 'application/json');
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(res.text)).toEqual({
      type: 'about:blank',
      title: 'Unprocessable Entity',
      status: 422,
      detail: 'Name is <required> & "quoted"',
      instance: '/users/7',
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'name', message: 'required' }],
    });
    expect(res.headers.vary).toMatch(/Accept/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  test.each([['*/*'], ['application/problem+json'], ['application/*'], [undefined]])(
    'Accept %s gets problem+json',
    async (accept) => {
      current = invalid();
      const req = request(current.app.callback()).get('/');
      if (accept !== undefined) req.set('Accept', accept);
      else req.unset('Accept');
      const res = await req;
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(JSON.parse(res.text).code).toBe('VALIDATION_FAILED');
    },
  );

  test('a browser gets a small HTML page where everything is escaped', async () => {
    current = invalid();
    const res = await request(current.app.callback())
      .get('/')
      .set('Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'");
    expect(res.text).toContain('<h1>422 Unprocessable Entity</h1>');
    expect(res.text).toContain('Name is &lt;required&gt; &amp; &quot;quoted&quot;');
    expect(res.text).not.toContain('<required>');
    expect(res.text).toContain('VALIDATION_FAILED');
  });

  test('a hostile message cannot inject markup into the HTML page', async () => {
    current = appWith(() => {
      throw createError(400, '</p><script>alert(1)</script><img src=x onerror=alert(2)>');
    });
    const res = await request(current.app.callback()).get('/').set('Accept', 'text/html');
    expect(res.text).not.toMatch(/<script|<img/i);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  test('text/plain gets the message as text', async () => {
    current = invalid();
    const res = await request(current.app.callback()).get('/').set('Accept', 'text/plain');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('Name is <required> & "quoted"');
  });

  test('an Accept nothing matches gets text/plain', async () => {
    current = invalid();
    const res = await request(current.app.callback()).get('/').set('Accept', 'image/png');
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  test.each([
    [';;;,,,=q'],
    ['text/html;q=abc, */*;q=NaN'],
    ['\u00ff\u00fe/\u00fd'],
    [`${'a/b;q=0.5,'.repeat(1000)}text/html`],
    ['*/*;q=2'],
  ])('a malformed Accept (%s) never breaks the response', async (accept) => {
    current = invalid();
    const res = await request(current.app.callback()).get('/').set('Accept', accept);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^(application\/problem\+json|text\/html|text\/plain); charset=utf-8$/);
    expect(res.text.length).toBeGreaterThan(0);
  });

  test('format "envelope" renders the status-envelope (FastFlyer) shape, detail a string', async () => {
    current = appWith(
      () => {
        throw createError(409, 'Already exists', { code: 'DUPLICATE', extensions: { field: 'email' } });
      },
      { format: 'envelope' },
    );
    const res = await request(current.app.callback()).get('/').set('Accept', 'text/html');
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      code: 409,
      message: 'Conflict',
      detail: 'Already exists',
      data: null,
      error: { code: 'DUPLICATE', field: 'email' },
    });
  });

  test('a format function renders anything, with status and headers already set', async () => {
    current = appWith(
      () => {
        throw createError(429, 'Slow down', { headers: { 'Retry-After': '7' } });
      },
      {
        format: (ctx, problem) => {
          ctx.type = 'application/xml';
          ctx.body = `<error status="${ctx.status}">${problem.code}:${problem.detail}</error>`;
        },
      },
    );
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['content-type']).toBe('application/xml');
    expect(res.text).toBe('<error status="429">TOO_MANY_REQUESTS:Slow down</error>');
  });

  test('a format function that throws falls back to text and its failure is emitted', async () => {
    current = appWith(
      () => {
        throw createError(400, 'Bad');
      },
      {
        format: () => {
          throw new Error('formatter bug');
        },
      },
    );
    const res = await request(current.app.callback()).get('/');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Bad');
    const emitted = current.appErrors.take();
    expect(emitted).toHaveLength(1);
    expect((emitted[0] as Error).message).toBe('formatter bug');
  });
});
