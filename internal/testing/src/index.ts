export { type AppErrors, collectAppErrors } from './app-errors.js';
export { describeExports } from './exports.js';
export { type Listening, listen } from './listen.js';
export { binaryParser, type RawRequestOptions, type RawResponse, rawRequest } from './raw-request.js';
export { type RedisServer, redisForTests, startRedisServer } from './redis.js';
export { appWith, deferred, renderErrors } from './render-errors.js';
export { tempDir } from './temp-dir.js';
export { describeTypeSurface } from './type-surface.js';
