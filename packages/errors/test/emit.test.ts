import createError from 'http-errors';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { appWith, type TestApp } from './helpers.js';

let current: TestApp | undefined;
const consoleSpies: ReturnType<typeof vi.spyOn>[] = [];
beforeEach(() => {
  for (const method of ['error', 'warn', 'log', 'info'] as const) {
    consoleSpies.push(vi.spyOn(console, method).mockImplementation(() => {}));
  }
});
afterEach(() => {
  // nothing but the app's 'error' listener logs
  for (const spy of consoleSpies.splice(0)) {
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  }
  current?.appErrors.assertNone();
  current = undefined;
});

describe("app.emit('error')", () => {
  test('a 5xx is emitted exactly once, with the context', async () => {
    const err = new Error('db down');
    current = appWith(() => {
      throw err;
    });
    const contexts: unknown[] = [];
    current.app.on('error', (_e, ctx) => contexts.push(ctx));
    await request(current.app.callback()).get('/x');
    expect(current.appErrors.take()).toEqual([err]);
    expect(contexts).toHaveLength(1);
    expect((contexts[0] as { path: string }).path).toBe('/x');
  });

  test('a 4xx is not emitted by default', async () => {
    current = appWith(() => {
      throw createError(400, 'bad');
    });
    await request(current.app.callback()).get('/');
    expect(current.appErrors.errors).toHaveLength(0);
  });

  test('a 4xx is emitted once with emitClientErrors: true', async () => {
    const err = createError(403, 'no');
    current = appWith(
      () => {
        throw err;
      },
      { emitClientErrors: true },
    );
    await request(current.app.callback()).get('/');
    expect(current.appErrors.take()).toEqual([err]);
  });

  test('the same error object thrown on two requests is emitted for each request', async () => {
    const shared = createError(500, 'shared');
    current = appWith(() => {
      throw shared;
    });
    await request(current.app.callback()).get('/');
    await request(current.app.callback()).get('/');
    expect(current.appErrors.take()).toEqual([shared, shared]);
  });
});
