import type { Middleware } from 'koa';
import Koa from 'koa';
import { collectAppErrors } from './app-errors.js';

/**
 * A minimal error renderer for package tests: refusals become JSON `{ code, message }` with their
 * `err.headers`, as @koa-kit/errors would send them, so tests can read `code`.
 */
export const renderErrors: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    const e = err as {
      status?: number;
      expose?: boolean;
      code?: string;
      message: string;
      headers?: Record<string, string>;
    };
    ctx.status = e.status ?? 500;
    if (e.headers) ctx.set(e.headers);
    ctx.body = { code: e.code, message: e.expose ? e.message : 'Internal Server Error' };
    if (!e.expose) ctx.app.emit('error', err, ctx);
  }
};

/** A promise with its resolve function (Promise.withResolvers is Node 22+). */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * An app for testing one authentication middleware: `renderErrors` (unless `render: false`), the
 * middleware, then a handler that counts its runs and records `ctx.state.user`.
 */
export function appWith(mw: Middleware, { render = true } = {}) {
  const app = new Koa();
  const errors = collectAppErrors(app);
  const seen = { ran: 0, user: undefined as unknown };
  if (render) app.use(renderErrors);
  app.use(mw);
  app.use((ctx) => {
    seen.ran++;
    seen.user = ctx.state.user;
    ctx.body = { ok: true, user: ctx.state.user };
  });
  return { app, errors, seen };
}
