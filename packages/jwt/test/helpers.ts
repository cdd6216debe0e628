import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { collectAppErrors } from '@koa-kit/testing';
import type { Middleware } from 'koa';
import Koa from 'koa';

/** Renders refusals as JSON `{ status, code, message }` so tests can read `code`, as @koa-kit/errors would. */
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

/** An app: optional error renderer, the middleware under test, then a handler that records it ran. */
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

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

/** A 2048-bit RSA pair, PEM and KeyObject. */
export function rsaPair(modulusLength = 2048): {
  publicPem: string;
  privatePem: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
} {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    publicKey,
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)).toString(
    'base64url',
  );

/** A 32-byte HMAC secret as text. */
export const SECRET = 'k'.repeat(16) + 'e'.repeat(16);
export const now = (): number => Math.floor(Date.now() / 1000);

/** A promise with its resolve function (Promise.withResolvers is Node 22+). */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
