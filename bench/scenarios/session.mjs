// @koa-kit/session: a logged-in request (session read, not written) against bare Koa, for the
// encrypted cookie store, the memory store and the Redis store, with koa-session 7 beside them.

/** Logs in once through GET /login and returns the Cookie header a logged-in client sends. */
async function loggedIn({ url }) {
  const res = await fetch(`${url}/login`);
  if (!res.ok) throw new Error(`GET /login answered ${res.status}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  if (!cookie) throw new Error('GET /login set no cookie');
  return { headers: { cookie } };
}

export default [
  {
    name: 'session: cookie (encrypted), logged in',
    server: 'session-kit.mjs',
    options: { store: 'cookie' },
    path: '/api',
    setup: loggedIn,
    reference: 'bare koa',
    goal: 0.9,
    note: 'AES-256-GCM + Keygrip sha256 cookie, read only',
  },
  {
    name: 'session: memory store, logged in',
    server: 'session-kit.mjs',
    options: { store: 'memory' },
    path: '/api',
    setup: loggedIn,
    reference: 'bare koa',
    note: 'signed id cookie + memoryStore(), read only',
  },
  {
    name: 'session: Redis store, logged in',
    server: 'session-kit.mjs',
    options: { store: 'redis' },
    requires: ['redis'],
    path: '/api',
    setup: loggedIn,
    reference: 'bare koa',
    note: 'signed id cookie + redisStore() (one HMGET per request), read only',
  },
  {
    name: 'peer koa-session: cookie, logged in',
    server: 'session-peer.mjs',
    path: '/api',
    setup: loggedIn,
    reference: 'bare koa',
    note: 'peer: koa-session 7, signed base64 JSON cookie (not encrypted); issue 4 measured 0.39-0.43',
  },
  // Redis Cluster (issue 24): redisStore() on an ioredis Cluster client, as a ratio of the
  // standalone Redis store in the same run.
  {
    name: 'session: Redis Cluster store, logged in',
    server: 'session-kit.mjs',
    options: { store: 'redis', cluster: true },
    requires: ['redis'],
    path: '/api',
    setup: loggedIn,
    reference: 'session: Redis store, logged in',
    note: 'redisStore() on a private Redis Cluster (3 masters + 3 replicas, loader core): one HMGET per request',
  },
];
