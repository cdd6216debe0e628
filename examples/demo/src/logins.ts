import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** How long a login (its session and tokens) can stay live, in seconds. */
export const LOGIN_TTL_SECONDS = 24 * 60 * 60;
/** Most live logins kept per user in memory; the oldest one ends first. */
const MAX_LOGINS_PER_USER = 100;
/** Longest wait for Redis before the request is refused with 503. */
const REDIS_TIMEOUT_MS = 500;

/**
 * The live logins of each user. A login id goes in the session and in the token's `jti`; logout
 * ends every login of the user, so the session cookie and every token stop working everywhere.
 */
export interface Logins {
  start(user: string): Promise<string>;
  isLive(user: string, id: string): Promise<boolean>;
  endAll(user: string): Promise<void>;
}

export function memoryLogins(): Logins {
  const byUser = new Map<string, Map<string, number>>();
  return {
    async start(user) {
      const id = randomUUID();
      const live = byUser.get(user) ?? new Map<string, number>();
      live.set(id, Date.now() + LOGIN_TTL_SECONDS * 1000);
      if (live.size > MAX_LOGINS_PER_USER) live.delete(live.keys().next().value!);
      byUser.set(user, live);
      return id;
    },
    async isLive(user, id) {
      const until = byUser.get(user)?.get(id);
      return until !== undefined && until > Date.now();
    },
    async endAll(user) {
      byUser.delete(user);
    },
  };
}

class LoginStoreUnavailable extends Error {
  status = 503;
  expose = true;
  code = 'LOGIN_STORE_UNAVAILABLE';
  constructor(cause: unknown) {
    super('Logins cannot be checked right now; try again shortly', { cause });
  }
}

async function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Redis did not answer in time')), REDIS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (err) {
    throw new LoginStoreUnavailable(err);
  } finally {
    clearTimeout(timer);
  }
}

export function redisLogins(client: Redis, prefix = 'demo:logins:'): Logins {
  const keyOf = (user: string) => prefix + encodeURIComponent(user);
  return {
    async start(user) {
      const id = randomUUID();
      await bounded(client.multi().sadd(keyOf(user), id).expire(keyOf(user), LOGIN_TTL_SECONDS).exec());
      return id;
    },
    async isLive(user, id) {
      return (await bounded(client.sismember(keyOf(user), id))) === 1;
    },
    async endAll(user) {
      await bounded(client.del(keyOf(user)));
    },
  };
}
