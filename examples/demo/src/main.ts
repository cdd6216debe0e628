import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDemo, DEMO_USERS } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const dataDir = path.resolve(process.env.DEMO_DATA_DIR ?? fileURLToPath(new URL('../data', import.meta.url)));

async function main(): Promise<void> {
  let redis: import('ioredis').Redis | undefined;
  if (process.env.REDIS_URL) {
    const { Redis } = await import('ioredis');
    redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });
  }
  const app = await createDemo({ dataDir, redis });
  app.on('error', (err: Error & { status?: number }) => {
    if (!err.status || err.status >= 500) console.error('[demo]', err);
  });
  const server = app.listen(port, () => {
    const [name, password] = Object.entries(DEMO_USERS)[0] ?? [];
    console.log(`koa-kit demo on http://localhost:${port}`);
    console.log(`  log in as ${name} / ${password}`);
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
  console.error(err);
  process.exit(1);
});
