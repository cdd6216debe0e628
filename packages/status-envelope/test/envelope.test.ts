import { Readable } from 'node:stream';
import { type StatusEnvelopeOptions, statusEnvelope } from '@koa-kit/status-envelope';
import { collectAppErrors } from '@koa-kit/testing';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, test } from 'vitest';

function appWith(handler: Koa.Middleware, options?: StatusEnvelopeOptions) {
  const app = new Koa();
  const appErrors = collectAppErrors(app);
  app.use(statusEnvelope(options));
  app.use(handler);
  return { app, appErrors, http: request(app.callback()) };
}

describe('statusEnvelope() options', () => {
  test('returns a named middleware', () => {
    expect(statusEnvelope().name).toBe('statusEnvelope');
  });

  test.each([
    [{ httpStatus: 'always200' }, /"httpStatus" option must be "keep" or "always-200"/],
    [{ httpStatus: 200 }, /"httpStatus" option/],
    [{ status: 'keep' }, /unknown option "status"/],
    ['keep', /options must be an object/],
    [null, /options must be an object/],
  ])('refuses %j with a TypeError', (options, message) => {
    expect(() => statusEnvelope(options as unknown as StatusEnvelopeOptions)).toThrow(TypeError);
    expect(() => statusEnvelope(options as unknown as StatusEnvelopeOptions)).toThrow(message);
  });

  test('never mutates the caller object', () => {
    const options = Object.freeze({ httpStatus: 'always-200' as const });
    statusEnvelope(options);
    expect(options).toEqual({ httpStatus: 'always-200' });
  });
});

describe('wrapping', () => {
  test('an object body becomes { code, message, detail, data } with the real status', async () => {
    const { http, appErrors } = appWith((ctx) => {
      ctx.body = { itemId: 7 };
    });
    const res = await http.get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({ code: 200, message: '', detail: '', data: { itemId: 7 } });
    appErrors.assertNone();
  });

  test('code mirrors a non-200 status', async () => {
    const { http } = appWith((ctx) => {
      ctx.status = 201;
      ctx.body = [1, 2];
    });
    const res = await http.post('/');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ code: 201, message: '', detail: '', data: [1, 2] });
  });

  test('a JSON body set with a 4xx status keeps that status', async () => {
    const { http } = appWith((ctx) => {
      ctx.status = 409;
      ctx.body = { conflict: 'email' };
    });
    const res = await http.get('/');
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: 409, message: '', detail: '', data: { conflict: 'email' } });
  });

  test('the handler sets its own code and message through ctx.state.envelope', async () => {
    const { http } = appWith((ctx) => {
      ctx.state.envelope = { code: 602, message: 'Partial upstream data' };
      ctx.body = { items: [] };
    });
    const res = await http.get('/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 602, message: 'Partial upstream data', detail: '', data: { items: [] } });
  });

  test('pageInfo is carried beside data', async () => {
    const { http } = appWith((ctx) => {
      ctx.state.envelope = { pageInfo: { total: 31, offset: 10, size: 10 } };
      ctx.body = [{ id: 11 }];
    });
    const res = await http.get('/');
    expect(res.body).toEqual({
      code: 200,
      message: '',
      detail: '',
      data: [{ id: 11 }],
      pageInfo: { total: 31, offset: 10, size: 10 },
    });
  });

  test('a class instance with toJSON is JSON-able and wrapped', async () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return { amount: this.cents / 100 };
      }
    }
    const { http } = appWith((ctx) => {
      ctx.body = new Money(1250);
    });
    expect((await http.get('/')).body).toEqual({ code: 200, message: '', detail: '', data: { amount: 12.5 } });
  });

  test('null data is sent when the handler asks for it', async () => {
    const { http } = appWith((ctx) => {
      if (ctx.path === '/accepted') ctx.status = 202;
      ctx.state.envelope = { nullData: true };
    });
    const res = await http.delete('/thing');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 200, message: '', detail: '', data: null });
    const accepted = await http.post('/accepted');
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ code: 202, message: '', detail: '', data: null });
  });

  test('nullData keeps a 404 the handler set itself', async () => {
    const { http } = appWith((ctx) => {
      ctx.status = 404;
      ctx.state.envelope = { nullData: true, message: 'No such order' };
    });
    const res = await http.get('/orders/9');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, message: 'No such order', detail: '', data: null });
  });

  test('ctx.body = null with nullData: a 200 envelope instead of a 204', async () => {
    const { http } = appWith((ctx) => {
      ctx.body = null;
      ctx.state.envelope = { nullData: true };
    });
    const res = await http.get('/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 200, message: '', detail: '', data: null });
  });
});

describe('serialization', () => {
  test('the envelope is serialized once, with a Content-Length', async () => {
    const { http } = appWith((ctx) => {
      ctx.body = { text: 'ünïcödé' };
    });
    const res = await http.get('/');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.text).data.text).toBe('ünïcödé');
  });

  test('a body that cannot be serialized fails inside the chain, for the error handler above', async () => {
    const app = new Koa();
    const seen: unknown[] = [];
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        seen.push(err);
        ctx.status = 500;
        ctx.type = 'text';
        ctx.body = 'rendered by the handler above';
      }
    });
    app.use(statusEnvelope());
    app.use((ctx) => {
      const body: Record<string, unknown> = {};
      body.self = body;
      ctx.body = body;
    });
    const res = await request(app.callback()).get('/');
    expect(res.status).toBe(500);
    expect(res.text).toBe('rendered by the handler above');
    expect((seen[0] as Error).message).toMatch(/circular/i);
  });

  test('nullData gets a JSON content type', async () => {
    const { http } = appWith((ctx) => {
      ctx.state.envelope = { nullData: true };
    });
    const res = await http.get('/');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});

describe('left untouched', () => {
  test.each([
    ['a string', () => 'plain text', 'plain text'],
    ['a Buffer', () => Buffer.from('bytes'), 'bytes'],
    ['a stream', () => Readable.from(['str', 'eam']), 'stream'],
    ['a Blob', () => new Blob(['blob']), 'blob'],
  ])('%s', async (_label, makeBody, text) => {
    const { http } = appWith((ctx) => {
      ctx.body = makeBody();
    });
    const res = await http
      .get('/')
      .buffer(true)
      .parse((r, cb) => {
        let data = '';
        r.on('data', (c: Buffer) => {
          data += c.toString();
        });
        r.on('end', () => cb(null, data));
      });
    expect(res.status).toBe(200);
    expect(res.body).toBe(text);
  });

  test('204, 304 and a missing body', async () => {
    const { http } = appWith((ctx) => {
      if (ctx.path === '/204') ctx.body = null;
      else if (ctx.path === '/304') {
        ctx.status = 304;
        ctx.body = { stale: true };
      }
    });
    expect((await http.get('/204')).status).toBe(204);
    const notModified = await http.get('/304');
    expect(notModified.status).toBe(304);
    expect(notModified.text ?? '').toBe('');
    const nothing = await http.get('/none');
    expect(nothing.status).toBe(404);
    expect(nothing.text).toBe('Not Found');
  });

  test('HEAD keeps the length of the bare body', async () => {
    const { http } = appWith((ctx) => {
      ctx.body = { a: 1 };
    });
    const res = await http.head('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(JSON.stringify({ a: 1 }).length));
  });

  test('a route opts out with ctx.state.envelope = { skip: true }', async () => {
    const { http } = appWith((ctx) => {
      ctx.state.envelope = { skip: true };
      ctx.body = { raw: true };
    });
    expect((await http.get('/')).body).toEqual({ raw: true });
  });

  test('a non-object ctx.state.envelope is ignored, not trusted', async () => {
    const { http, appErrors } = appWith((ctx) => {
      (ctx.state as Record<string, unknown>).envelope = 'skip';
      ctx.body = { a: 1 };
    });
    expect((await http.get('/')).body).toEqual({ code: 200, message: '', detail: '', data: { a: 1 } });
    appErrors.assertNone();
  });

  test('an error thrown below passes through (errors() or Koa renders it)', async () => {
    const { http, appErrors } = appWith(() => {
      throw Object.assign(new Error('nope'), { status: 403, expose: true });
    });
    const res = await http.get('/');
    expect(res.status).toBe(403);
    expect(res.text).toBe('nope');
    expect(appErrors.take()).toHaveLength(1);
  });
});

describe("httpStatus: 'always-200'", () => {
  test('an enveloped response is HTTP 200 with the real code in the body', async () => {
    const { http } = appWith(
      (ctx) => {
        ctx.status = 201;
        ctx.body = { id: 1 };
      },
      { httpStatus: 'always-200' },
    );
    const res = await http.post('/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 201, message: '', detail: '', data: { id: 1 } });
  });

  test('responses that are not enveloped keep their status', async () => {
    const { http } = appWith(
      (ctx) => {
        ctx.redirect('/elsewhere');
      },
      { httpStatus: 'always-200' },
    );
    const res = await http.get('/');
    expect(res.status).toBe(302);
  });
});
