// @koa-kit/jwt: the bare-koa JSON route (GET /api -> {"hello":"world"}) behind jwt() and nothing
// else. The scenario signs the token and hands over the verification key, so the server is only
// jwt() + the route. options: { alg: 'HS256' | 'RS256', key: secret or public key PEM, cache, jwks }.
// With `jwks: true` the public key is published as a JWKS on a loopback server in this process and
// jwt() reads it through jwks({ uri }): the measured cost is the resolver's lookup by `kid`.
import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:http';
import { jwks, jwt } from '@koa-kit/jwt';
import Koa from 'koa';

async function publishJwks(pem, alg) {
  const jwk = { ...createPublicKey(pem).export({ format: 'jwk' }), kid: 'bench', alg, use: 'sig' };
  const body = JSON.stringify({ keys: [jwk] });
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${server.address().port}/jwks.json`;
}

export default async function jwtApi({ alg, key, cache, jwks: viaJwks }) {
  const secret = viaJwks ? jwks({ uri: await publishJwks(key, alg) }) : key;
  const app = new Koa();
  app.use(jwt({ secret, algorithms: [alg], ...(cache === false ? { cache: false } : {}) }));
  app.use((ctx) => {
    ctx.body = { hello: 'world' };
  });
  return app.callback();
}
