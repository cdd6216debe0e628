// "floor: five pass-through middleware": the bare-koa JSON route behind five
// `async (ctx, next) => { await next() }` middleware. What Koa itself charges for a five-layer stack
// that does nothing: no five-middleware stack can beat it (issue 26).
//   GET /api -> {"hello":"world"}
import Koa from 'koa';

export default async function floor() {
  const app = new Koa();
  for (let i = 0; i < 5; i++) {
    app.use(async (_ctx, next) => {
      await next();
    });
  }
  app.use(async function route(ctx) {
    if (ctx.path === '/api' && ctx.method === 'GET') ctx.body = { hello: 'world' };
  });
  return app.callback();
}
