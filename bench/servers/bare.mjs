// "bare koa": the reference most HTTP scenarios are measured against. Koa 3, no middleware.
//   GET /api   -> 200 {"hello":"world"}
//   GET /text  -> 200 "hello world" (text/plain)
//   POST /echo -> 200 the JSON body it received (parsed by hand, no body parser)
//   anything else -> 404 (Koa's default)
import Koa from 'koa';

export default async function bare() {
  const app = new Koa();
  app.use(async function route(ctx) {
    if (ctx.path === '/api' && ctx.method === 'GET') {
      ctx.body = { hello: 'world' };
    } else if (ctx.path === '/text' && ctx.method === 'GET') {
      ctx.body = 'hello world';
    } else if (ctx.path === '/echo' && ctx.method === 'POST') {
      const chunks = [];
      for await (const c of ctx.req) chunks.push(c);
      ctx.body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    }
  });
  return app.callback();
}
