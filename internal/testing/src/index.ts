export { type AppErrors, collectAppErrors } from './app-errors.js';
export { describeExports } from './exports.js';
export { type Listening, listen } from './listen.js';
export { type RedisServer, redisForTests, startRedisServer } from './redis.js';
export { tempDir } from './temp-dir.js';
export { describeTypeSurface } from './type-surface.js';
