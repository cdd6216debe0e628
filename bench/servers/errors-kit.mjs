// @koa-kit/errors (and, with { envelope: true }, @koa-kit/status-envelope below it) in front of
// the same routes as bench/servers/bare.mjs:
//   GET /api  -> 200 {"hello":"world"} (enveloped with { envelope: true })
//   GET /fail -> 422 thrown HttpError with a validation `errors` property, rendered by errors()
import { errors } from '@koa-kit/errors';
import { statusEnvelope } from '@koa-kit/status-envelope';
import createError from 'http-errors';
import Koa from 'koa';

export default async function errorsKit(options = {}) {
  const app = new Koa();
  app.silent = true;
  app.use(errors(options.envelope ? { format: 'envelope' } : {}));
  if (options.envelope) app.use(statusEnvelope());
  app.use(errorsRoute);
  return app.callback();
}

/** The routes both errors servers answer (errors-peer.mjs uses it too). */
export async function errorsRoute(ctx) {
  if (ctx.path === '/api' && ctx.method === 'GET') {
    ctx.body = { hello: 'world' };
  } else if (ctx.path === '/fail') {
    throw createError(422, 'Invalid input', { code: 'VALIDATION_FAILED', errors: [{ field: 'name' }] });
  }
}
