// A TypeScript user of @koa-kit/session: options, stores, and the typed ctx.session.
import {
  memoryStore,
  type RedisClientLike,
  redisStore,
  type Session,
  type SessionData,
  type SessionOptions,
  type SessionStore,
  session,
} from '@koa-kit/session';
import Koa from 'koa';

// An ioredis client or Cluster (call()) or a node-redis client (sendCommand()) fits; the user's app
// needs no ioredis types to compile.
const client: RedisClientLike = { status: 'ready', call: async () => null };
const nodeRedis: RedisClientLike = { isReady: true, sendCommand: async () => null };
const memory = memoryStore({ max: 1000, ttl: 60_000 });
export const stores: SessionStore[] = [
  memory,
  redisStore({ client, prefix: 'app:' }),
  redisStore({ client: nodeRedis }),
];
const options: SessionOptions = { maxAge: 'session', sameSite: 'strict', store: memory, storeTimeout: 500 };

const app = new Koa();
app.keys = ['a-signing-key-for-the-kit-check-app-0123456789'];
app.use(session(options));
app.use(async (ctx) => {
  // Reading ctx.session gives a Session: no null check under strict.
  const current: Session = ctx.session;
  if (current.isNew) await current.regenerate();
  const data: SessionData = current.toJSON();
  ctx.session = { views: 1 }; // not with @types/koa-session
  // @ts-expect-error ctx.session is typed by the package, not `any`
  const wrong: number = ctx.session;
  ctx.session = null;
  ctx.body = { data, wrong };
});

// @ts-expect-error sameSite is 'lax' | 'strict' | 'none' | false
session({ sameSite: 'sometimes' });

export default app;
