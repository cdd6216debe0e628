// @koa-kit/jwt: the bare-koa JSON route (GET /api -> {"hello":"world"}) behind jwt() and nothing
// else. The scenario signs the token and hands over the verification key, so the server is only
// jwt() + the route. options: { alg: 'HS256' | 'RS256', key: secret or public key PEM, cache }.
import { jwt } from '@koa-kit/jwt';
import Koa from 'koa';

export default async function jwtApi({ alg, key, cache }) {
  const app = new Koa();
  app.use(jwt({ secret: key, algorithms: [alg], ...(cache === false ? { cache: false } : {}) }));
  app.use((ctx) => {
    ctx.body = { hello: 'world' };
  });
  return app.callback();
}
