import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDemo } from './app.js';
import { DEMO_USERS, DemoConfigError, loadConfig } from './config.js';
import { createServer } from './server.js';

const port = Number(process.env.PORT ?? 3000);
const dataDir = path.resolve(process.env.DEMO_DATA_DIR ?? fileURLToPath(new URL('../data', import.meta.url)));

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  let redis: import('ioredis').Redis | undefined;
  if (process.env.REDIS_URL) {
    const { Redis } = await import('ioredis');
    redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });
  }
  const app = await createDemo({ dataDir, redis, ...config });
  app.on('error', (err: Error & { status?: number }) => {
    if (!err.status || err.status >= 500) console.error('[demo]', err);
  });
  const server = createServer(app);
  server.listen(port, () => {
    console.log(`koa-kit demo on http://localhost:${port}`);
    if (config.users.demo === DEMO_USERS.demo) console.log(`  log in as demo / ${DEMO_USERS.demo}`);
    else console.log(`  users from DEMO_USERS: ${Object.keys(config.users).join(', ')}`);
    console.log(`  data folder: ${dataDir}`);
    console.log(`  stores: ${redis ? `Redis at ${process.env.REDIS_URL}` : 'memory (set REDIS_URL for Redis)'}`);
  });
  const stop = () => {
    server.close();
    redis?.disconnect();
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof DemoConfigError ? `[demo] ${err.message}` : err);
  process.exit(1);
});
