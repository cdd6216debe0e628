// A TypeScript user of @koa-kit/jwt: options, sign(), ctx.state.user and ctx.state.jwt, and the
// KoaKitUser augmentation its README recommends.
import { createSecretKey } from 'node:crypto';
import {
  type Algorithm,
  type JwtOptions,
  type JwtPayload,
  type JwtState,
  jwt,
  requireScope,
  type SignOptions,
  sign,
  TOKEN_ERRORS,
} from '@koa-kit/jwt';
import Koa from 'koa';

declare module 'koa' {
  interface KoaKitUser {
    sub?: string;
  }
}

const key = createSecretKey(Buffer.from('a-shared-secret-of-at-least-32-bytes!!'));
const algorithms: Algorithm[] = ['HS256'];
const options: JwtOptions = {
  secret: key,
  algorithms,
  audience: ['api', /^urn:kit:/],
  cookie: 'token',
  isRevoked: async (_ctx, payload: Readonly<JwtPayload>) => payload.jti === 'revoked',
};
const signOptions: SignOptions = { algorithm: 'HS256', expiresIn: '1h', audience: 'api' };
const token: string = sign({ sub: 'alice', scope: 'read' }, key, signOptions);

const app = new Koa();
app.use(jwt(options));
app.use(requireScope('read'));
app.use((ctx) => {
  const sub: string | undefined = ctx.state.user?.sub;
  const verified: JwtState | undefined = ctx.state.jwt;
  const alg: string | undefined = verified?.header.alg;
  // @ts-expect-error ctx.state.jwt is typed by the package, not `any`
  const wrong: number = ctx.state.jwt;
  ctx.body = { sub, alg, token, wrong, missing: TOKEN_ERRORS.TOKEN_MISSING };
});

// @ts-expect-error algorithms are required
jwt({ secret: key });

export default app;
