export { listen, type Listening } from './listen.js';
export { collectAppErrors, type AppErrors } from './app-errors.js';
export { redisForTests, startRedisServer, type RedisServer } from './redis.js';
export { tempDir } from './temp-dir.js';
