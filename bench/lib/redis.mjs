// Redis for scenarios that need it: REDIS_URL if set, else a private redis-server on a free port
// pinned to the loader core (the server core is for the process under test), else none. And a
// private Redis Cluster, pinned the same way, for the cluster scenarios (started by the server
// module that uses it: benchRedisClient({ cluster: true })).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LOADER_CORE } from './config.mjs';
import { freePort, hasRedisServer, killTree, pinned, waitForPort } from './procs.mjs';

const runFile = promisify(execFile);
const hasRedisCli = (() => {
  try {
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function isFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

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

const CLUSTER_SIZE = 6; // 3 masters, each with one replica

async function cli(port, ...args) {
  const { stdout } = await runFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

/**
 * A private Redis Cluster (3 masters, 3 replicas) of redis-server processes on free ports, every
 * node pinned to the loader core like startRedis(), created with `redis-cli --cluster create`.
 * Resolves once every slot is served and every replica has synced: `{ nodes, note, close }`, nodes
 * being ioredis Cluster seeds. Null without redis-server; throws without redis-cli.
 */
export async function startRedisCluster() {
  if (!hasRedisServer) return null;
  if (!hasRedisCli) throw new Error('a Redis Cluster needs redis-cli (apt-get install redis-tools)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koa-kit-bench-cluster-'));
  const ports = [];
  // Each node also needs port + 10000 free (the cluster bus).
  while (ports.length < CLUSTER_SIZE) {
    const port = await freePort();
    if (port < 55535 && !ports.includes(port) && (await isFree(port + 10000))) ports.push(port);
  }
  const children = ports.map((port) => {
    const [cmd, args] = pinned(LOADER_CORE, 'redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '2000',
      '--dir',
      dir,
    ]);
    return spawn(cmd, args, { stdio: 'ignore' });
  });
  const killAll = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // A server module that started it dies with the harness: so do the nodes.
  process.once('exit', killAll);
  try {
    await Promise.all(ports.map((port, i) => waitForPort(port, 10_000, () => children[i].exitCode === null)));
    await runFile(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
      { timeout: 30_000 },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const states = await Promise.all(
        ports.map(async (port) => {
          const info = await cli(port, 'cluster', 'info').catch(() => '');
          const replication = await cli(port, 'info', 'replication').catch(() => '');
          return (
            /cluster_state:ok/.test(info) &&
            (/role:master/.test(replication) || /master_link_status:up/.test(replication))
          );
        }),
      );
      if (states.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error('the bench Redis Cluster did not become healthy within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    killAll();
    process.removeListener('exit', killAll);
    throw err;
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    note: `private Redis Cluster (3 masters, 3 replicas) on core ${LOADER_CORE}`,
    close: async () => {
      await Promise.all(children.map((child) => killTree(child, 'SIGKILL')));
      killAll();
      process.removeListener('exit', killAll);
    },
  };
}

let ownCluster = null;

/**
 * The ioredis client a bench server module stores in: `new Redis(redisUrl)`, or with
 * `cluster: true` an ioredis `Cluster` on a private cluster this process starts once (and stops
 * when it exits), so the harness needs to know nothing about clusters.
 */
export async function benchRedisClient({ redisUrl = null, cluster = false } = {}) {
  const { Cluster, Redis } = await import('ioredis');
  let client;
  if (cluster) {
    ownCluster ??= startRedisCluster().then((c) => {
      if (!c) throw new Error('a Redis Cluster needs redis-server');
      return c;
    });
    client = new Cluster((await ownCluster).nodes);
    await new Promise((resolve, reject) => {
      client.once('ready', resolve);
      client.once('error', reject);
    });
  } else {
    if (!redisUrl) throw new Error('Redis is not available (no redisUrl)');
    client = new Redis(redisUrl);
  }
  client.on('error', () => {});
  return client;
}
