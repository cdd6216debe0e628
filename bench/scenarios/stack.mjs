// The full stack on a logged-in request: errors + envelope + cookie session read + jwt HS256 +
// memory rate limit, against bare Koa, against the floor (five pass-through middleware) and against
// the same stack built from peer libraries.

/** Logs in once through GET /login and returns the request a logged-in client sends. */
async function loggedIn({ url }) {
  const res = await fetch(`${url}/login`);
  if (!res.ok) throw new Error(`GET /login answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  if (!cookie) throw new Error('GET /login set no cookie');
  const body = await res.json();
  const token = body.token ?? body.data?.token;
  if (typeof token !== 'string') throw new Error(`GET /login gave no token: ${JSON.stringify(body).slice(0, 200)}`);
  return { headers: { cookie, authorization: `Bearer ${token}` } };
}

export default [
  {
    name: 'full stack, logged in',
    server: 'stack-kit.mjs',
    path: '/api',
    setup: loggedIn,
    reference: 'bare koa',
    goal: 0.75,
    note: 'errors + statusEnvelope + session (cookie, read) + jwt HS256 + rateLimit (memory)',
  },
  {
    name: 'floor: five pass-through middleware',
    server: 'floor.mjs',
    path: '/api',
    reference: 'bare koa',
    note: 'five `async (ctx, next) => { await next() }` before the bare-koa route: what Koa charges any five-layer stack',
  },
  {
    name: 'full stack vs floor',
    kind: 'ratio',
    of: 'full stack, logged in',
    reference: 'floor: five pass-through middleware',
    goal: 0.83,
    note: 'our five layers over five that do nothing, same run (issue 26: 0.75 x bare = 0.83 of a 0.90 floor)',
  },
  {
    name: 'peer stack (KeyObject), logged in',
    server: 'stack-peer.mjs',
    options: { secret: 'keyobject' },
    path: '/api',
    setup: loggedIn,
    reference: 'bare koa',
    note: 'peer: koa-json-error + koa-ratelimit + koa-session + koa-jwt; issue 11 measured 0.217',
  },
  {
    name: 'peer stack (string secret), logged in',
    server: 'stack-peer.mjs',
    options: { secret: 'string' },
    path: '/api',
    setup: loggedIn,
    reference: 'bare koa',
    note: 'peer, secret as koa-jwt README shows; issue 11 measured 0.041',
  },
  // Ours against the peer stacks: ratios of the figures above, nothing measured twice.
  {
    name: 'full stack vs peer stack (KeyObject)',
    kind: 'ratio',
    of: 'full stack, logged in',
    reference: 'peer stack (KeyObject), logged in',
    note: 'ours over the peer stack, same run',
  },
  {
    name: 'full stack vs peer stack (string secret)',
    kind: 'ratio',
    of: 'full stack, logged in',
    reference: 'peer stack (string secret), logged in',
    note: 'ours over the peer stack, same run',
  },
];
