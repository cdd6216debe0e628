// A TypeScript user of @koa-kit/rate-limit: options, a structural Redis client, ctx.state.rateLimit.
import { type RateLimitInfo, type RateLimitOptions, type RateLimitRedisClient, rateLimit } from '@koa-kit/rate-limit';
import Koa from 'koa';

// Any client with evalsha/eval fits; the user's app needs no ioredis types to compile.
const fakeRedis: RateLimitRedisClient = {
  evalsha: async () => [1, 60_000],
  eval: async () => [1, 60_000],
  status: 'ready',
};

const options: RateLimitOptions = {
  max: 100,
  duration: '15m',
  id: (ctx) => ctx.get('x-api-key') || ctx.ip,
  allow: (ctx) => ctx.path === '/health',
  standardHeaders: true,
  onStoreError: 'deny',
};

const app = new Koa();
app.use(rateLimit(options));
app.use(rateLimit({ driver: 'redis', db: fakeRedis, namespace: 'api', storeTimeout: 200 }));
app.use((ctx) => {
  const info: RateLimitInfo | undefined = ctx.state.rateLimit;
  const remaining: number | undefined = info?.remaining;
  // @ts-expect-error ctx.state.rateLimit is typed by the package, not `any`
  const wrong: string = ctx.state.rateLimit;
  ctx.body = { remaining, wrong };
});

// @ts-expect-error onStoreError is 'allow' | 'deny'
rateLimit({ onStoreError: 'ignore' });

export default app;
