export type { SessionKey } from './codec.js';
export { MAX_COOKIE_BYTES } from './codec.js';
export { SESSION_ERROR_CODES } from './errors.js';
export { DEFAULT_MEMORY_MAX, DEFAULT_STORE_TTL, type MemoryStoreOptions, memoryStore } from './memory-store.js';
export {
  DEFAULT_CACHE_SIZE,
  DEFAULT_KEY,
  DEFAULT_MAX_AGE,
  DEFAULT_STORE_TIMEOUT,
  type SessionOptions,
} from './options.js';
export {
  DEFAULT_REDIS_PREFIX,
  type RedisClientLike,
  type RedisSessionStore,
  type RedisStoreOptions,
  redisStore,
} from './redis-store.js';
export { session } from './session.js';
export type { SessionRecord, SessionStore, StoreContext } from './store.js';
export type { Session, SessionData } from './types.js';
