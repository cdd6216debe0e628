// The floor under any limiter that sends the headers issue 5 requires: the bare-koa JSON route plus
// a middleware that only sets x-ratelimit-limit/-remaining/-reset (lower case, as rateLimit() sends them) (the values a limiter would send),
// with no id, no count and no state.
//   GET /api -> {"hello":"world"}
import Koa from 'koa';
import { apiRoute } from './rate-limit-kit.mjs';

export default async function rateLimitHeaders() {
  const app = new Koa();
  const limit = String(1_000_000_000);
  const reset = String(Math.ceil((Date.now() + 60_000) / 1000));
  let remaining = 1_000_000_000;
  app.use(function headersOnly(ctx, next) {
    const res = ctx.res;
    res.setHeader('x-ratelimit-limit', limit);
    res.setHeader('x-ratelimit-remaining', String(--remaining));
    res.setHeader('x-ratelimit-reset', reset);
    return next();
  });
  app.use(apiRoute);
  return app.callback();
}
