// @koa-kit/errors and @koa-kit/status-envelope: what they cost on a JSON route (goal: at least
// 0.90 x bare Koa), and koa-json-error, the peer, on the same routes.
const accept = { accept: 'application/json' };

export default [
  {
    name: 'errors: JSON route behind errors()',
    server: 'errors-kit.mjs',
    path: '/api',
    headers: accept,
    reference: 'bare koa',
    goal: 0.9,
  },
  {
    name: 'errors: JSON route behind errors() + statusEnvelope()',
    server: 'errors-kit.mjs',
    options: { envelope: true },
    path: '/api',
    headers: accept,
    reference: 'bare koa',
    goal: 0.9,
  },
  {
    name: 'peer koa-json-error: JSON route',
    server: 'errors-peer.mjs',
    path: '/api',
    headers: accept,
    reference: 'bare koa',
    note: 'peer (koa-json-error 3)',
  },
  {
    name: 'peer koa-json-error: thrown 422',
    server: 'errors-peer.mjs',
    path: '/fail',
    headers: accept,
    expectStatus: 422,
    note: 'peer (koa-json-error 3); JSON with name, message, stack',
  },
  {
    name: 'errors: thrown 422 as problem+json',
    server: 'errors-kit.mjs',
    path: '/fail',
    headers: accept,
    expectStatus: 422,
    reference: 'peer koa-json-error: thrown 422',
    note: 'negotiated problem+json with validation errors',
  },
];
