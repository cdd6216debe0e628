// Compile-time checks, run by `npx tsc -p tsconfig.json --noEmit` (the repository typecheck).
import { type JwtState, jwks, jwt, sign } from '@koa-kit/jwt';
import Koa from 'koa';

const app = new Koa();
app.use(jwt({ secret: 'x'.repeat(32), algorithms: ['HS256'] }));
app.use((ctx) => {
  const state: JwtState | undefined = ctx.state.jwt;
  const sub: unknown = ctx.state.user?.sub;
  const alg: string | undefined = state?.header.alg;
  ctx.body = { sub, alg };
  // @ts-expect-error ctx.state.user is an object of claims, not a string
  ctx.state.user = 'alice';
  // @ts-expect-error ctx.state.jwt is frozen
  if (state) state.token = 'x';
});

// @ts-expect-error algorithms is required
jwt({ secret: 'x' });
// @ts-expect-error "none" is not an Algorithm
jwt({ secret: 'x', algorithms: ['none'] });
// @ts-expect-error an algorithm is required to sign
sign({ sub: 'a' }, 'x', {});

// The resolver gets ctx, isRevoked gets the raw token, jwks() is a resolver.
jwt({
  secret: (_header, _payload, ctx) => (ctx.get('x-tenant') === 'a' ? 'x'.repeat(32) : null),
  algorithms: ['HS256'],
  isRevoked: (_ctx, _payload, token: string) => token === '',
});
jwt({ secret: jwks({ uri: 'https://id.example/jwks.json' }), algorithms: ['RS256'], issuer: /^https:\/\/id\./ });
// @ts-expect-error ignoreExpiration is refused
jwt({ secret: 'x'.repeat(32), algorithms: ['HS256'], ignoreExpiration: true });
