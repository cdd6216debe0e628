// Redis for scenarios that need it: REDIS_URL if set, else a private redis-server on a free port
// pinned to the loader core (the server core is for the process under test), else none.
import { spawn } from 'node:child_process';
import { LOADER_CORE } from './config.mjs';
import { freePort, hasRedisServer, killTree, pinned, waitForPort } from './procs.mjs';

export async function startRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, note: 'REDIS_URL', close: async () => {} };
  if (!hasRedisServer) return null;
  const port = await freePort();
  const [cmd, args] = pinned(LOADER_CORE, 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  await waitForPort(port, 10_000, () => child.exitCode === null);
  return {
    url: `redis://127.0.0.1:${port}`,
    note: `private redis-server on core ${LOADER_CORE}`,
    close: () => killTree(child),
  };
}
