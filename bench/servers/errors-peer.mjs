// The peer: koa-json-error 3 in front of the same routes as bench/servers/errors-kit.mjs.
import Koa from 'koa';
import jsonError from 'koa-json-error';
import { errorsRoute } from './errors-kit.mjs';

export default async function errorsPeer() {
  const app = new Koa();
  app.silent = true;
  app.use(jsonError());
  app.use(errorsRoute);
  return app.callback();
}
