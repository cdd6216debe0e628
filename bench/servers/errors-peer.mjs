// The peer: koa-json-error 3 in front of the same routes as bench/servers/errors-kit.mjs.
import createError from 'http-errors';
import Koa from 'koa';
import jsonError from 'koa-json-error';

export default async function errorsPeer() {
  const app = new Koa();
  app.silent = true;
  app.use(jsonError());
  app.use(async function route(ctx) {
    if (ctx.path === '/api' && ctx.method === 'GET') {
      ctx.body = { hello: 'world' };
    } else if (ctx.path === '/fail') {
      throw createError(422, 'Invalid input', { code: 'VALIDATION_FAILED', errors: [{ field: 'name' }] });
    }
  });
  return app.callback();
}
