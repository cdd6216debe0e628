import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

function ping(url: string, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
  });
}

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: nothing is persisted anyway); resolves when it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/**
 * A private redis-server on a free port, for tests that stop and restart Redis.
 * Returns null when `redis-server` is not installed (and throws under KOA_KIT_REQUIRE_REDIS=1).
 */
export async function startRedisServer(): Promise<RedisServer | null> {
  if (!hasRedisServer()) {
    if (process.env.KOA_KIT_REQUIRE_REDIS === '1') throw new Error('redis-server is not installed');
    return null;
  }
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 5000;
    while (!(await ping(url, 200))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  process.once('exit', () => {
    (child as ChildProcess | null)?.kill('SIGKILL');
  });
  return { url, port, stop, start };
}

let shared: Promise<string | null> | undefined;

/**
 * The Redis URL tests should use: `REDIS_URL` (default redis://127.0.0.1:6379) when it answers,
 * else a private redis-server when one is installed, else null (tests skip), unless
 * `KOA_KIT_REQUIRE_REDIS=1`, which turns a missing Redis into a failure.
 */
export function redisForTests(): Promise<string | null> {
  shared ??= (async () => {
    const url = process.env.REDIS_URL || DEFAULT_REDIS_URL;
    if (await ping(url)) return url;
    const own = await startRedisServer().catch((err: unknown) => {
      if (process.env.KOA_KIT_REQUIRE_REDIS === '1') throw err;
      return null;
    });
    if (own) return own.url;
    if (process.env.KOA_KIT_REQUIRE_REDIS === '1') throw new Error(`no Redis answers at ${url}`);
    return null;
  })();
  return shared;
}
