export { rateLimit } from './rate-limit.js';
export type {
  RateLimitHeaderNames,
  RateLimitInfo,
  RateLimitOptions,
  RateLimitPredicate,
  RateLimitRedisClient,
} from './types.js';
