import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RedisClusterNode {
  host: string;
  port: number;
}

export interface RedisClusterForTests {
  /** Every node (3 masters, then 3 replicas at start): seed nodes for ioredis `new Cluster(nodes)`. */
  nodes: RedisClusterNode[];
  /** The nodes that are masters now (asks the cluster). */
  masters(): Promise<RedisClusterNode[]>;
  /** The master that owns `key`'s hash slot now. */
  masterOf(key: string): Promise<RedisClusterNode>;
  /**
   * Promotes the replica of the master that owns `key` with `CLUSTER FAILOVER` (a coordinated
   * switch: no write is lost) and resolves once the whole cluster sees the new master.
   */
  failover(key: string): Promise<{ from: RedisClusterNode; to: RedisClusterNode }>;
  /** SIGKILLs one node (a crash); resolves once it has exited. */
  kill(port: number): Promise<void>;
  /** Resolves once every live node reports `cluster_state:ok` and agrees on the masters. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes their folders. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

function hasTools(): Promise<boolean> {
  return Promise.all([run('redis-server', ['--version']), run('redis-cli', ['--version'])]).then(
    () => true,
    () => false,
  );
}

/** `count` distinct free ports (each also has port + 10000 free, the cluster bus port). */
async function freePorts(count: number): Promise<number[]> {
  const taken = new Set<number>();
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, HOST, () => srv.close(() => resolve(true)));
    });
  while (taken.size < count) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if (taken.has(port) || !(await isFree(port)) || !(await isFree(port + 10000))) continue;
    taken.add(port);
  }
  return [...taken];
}

/**
 * One command on its own connection, its reply as text (a status, a number or a bulk string; an
 * error reply rejects). Spoken over a socket rather than by spawning redis-cli: the health checks
 * poll six nodes every 100 ms, and a process per poll slows a busy machine down.
 */
function cli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let reply = Buffer.alloc(0);
    const done = (err: Error | null, text = '') => {
      socket.destroy();
      if (err) reject(err);
      else resolve(text.trim());
    };
    socket.setTimeout(10_000, () => done(new Error(`redis node ${port} did not answer ${args.join(' ')}`)));
    socket.once('error', (err) => done(err));
    socket.once('close', () => done(new Error(`redis node ${port} closed the connection`)));
    socket.on('data', (chunk) => {
      reply = Buffer.concat([reply, chunk]);
      const end = reply.indexOf('\r\n');
      if (end === -1) return;
      const head = reply.subarray(1, end).toString();
      if (reply[0] === 0x2d) return done(new Error(head)); // -ERR ...
      if (reply[0] !== 0x24) return done(null, head); // +OK, :42
      const length = Number(head);
      if (length < 0) return done(null, '');
      if (reply.length >= end + 2 + length) done(null, reply.subarray(end + 2, end + 2 + length).toString());
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface NodeLine {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  masterId: string;
  slots: string[];
}

function parseNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', addr = '', flags = '', masterId = '', , , , , ...slots] = line.split(' ');
      return {
        id,
        port: Number(addr.split('@')[0]?.split(':')[1]),
        master: flags.split(',').includes('master'),
        failed: /fail/.test(flags),
        masterId,
        slots,
      };
    });
}

/** How many slots `CLUSTER NODES` ranges (`0-5460`, `5461`) hold; `[...]` migration entries are not owned slots. */
function slotCount(ranges: string[]): number {
  let count = 0;
  for (const range of ranges) {
    if (range.startsWith('[')) continue;
    const [lo, hi = lo] = range.split('-').map(Number);
    if (lo !== undefined && hi !== undefined) count += hi - lo + 1;
  }
  return count;
}

/**
 * A private Redis Cluster (3 masters, 3 replicas) from `redis-server` on free loopback ports,
 * created with `redis-cli --cluster create`. Returns null when the tools are missing (throws under
 * KOA_KIT_REQUIRE_REDIS=1). Start one per test file; it takes a few seconds.
 */
export async function startRedisCluster(): Promise<RedisClusterForTests | null> {
  if (!(await hasTools())) {
    if (process.env.KOA_KIT_REQUIRE_REDIS === '1') throw new Error('redis-server / redis-cli are not installed');
    return null;
  }
  const ports = await freePorts(6);
  const dir = mkdtempSync(join(tmpdir(), 'koa-kit-cluster-'));
  const children = new Map<number, ChildProcess>();
  for (const port of ports) {
    // Nodes save nothing; `cluster-config-file` is per node in its own folder.
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        HOST,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '1000',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    children.set(port, child);
  }
  const killAll = () => {
    for (const child of children.values()) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  const live = () => [...children.entries()].filter(([, c]) => c.exitCode === null && c.signalCode === null);

  const nodesSeen = async (): Promise<NodeLine[]> => {
    for (const [port] of live()) {
      try {
        return parseNodes(await cli(port, 'cluster', 'nodes'));
      } catch {}
    }
    throw new Error('no cluster node answers');
  };

  const waitUntilHealthy = async (timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        live().map(async ([port]) => {
          try {
            const info = await cli(port, 'cluster', 'info');
            const nodes = parseNodes(await cli(port, 'cluster', 'nodes'));
            const serving = nodes.filter((n) => n.master && !n.failed && n.slots.length > 0);
            const masters = serving.map((n) => n.port).sort();
            // A crashed master is only flagged `fail?` at first while the cluster still says ok:
            // healthy also means its slots have a new owner (every slot covered by a live master).
            const covered = serving.reduce((sum, n) => sum + slotCount(n.slots), 0) === 16384;
            return `${/cluster_state:ok/.test(info) && covered}|${masters.join(',')}`;
          } catch {
            return 'down';
          }
        }),
      );
      const livePorts = new Set(live().map(([port]) => port));
      const agreed = states[0] ?? '';
      const mastersLive = agreed
        .slice(agreed.indexOf('|') + 1)
        .split(',')
        .every((port) => livePorts.has(Number(port)));
      // Healthy: every live node says ok, all agree on the masters, and each of those is running.
      if (states.length > 0 && states.every((s) => s === agreed) && agreed.startsWith('true|') && mastersLive) return;
      if (Date.now() > deadline) throw new Error(`cluster not healthy: ${states.join(' / ')}`);
      await sleep(100);
    }
  };

  try {
    const deadline = Date.now() + 10_000;
    for (const port of ports) {
      while ((await cli(port, 'ping').catch(() => '')) !== 'PONG') {
        if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
        await sleep(50);
      }
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
      { timeout: 30_000 },
    );
    await waitUntilHealthy();
    // Replicas must have synced before a coordinated failover can be asked of them.
    const deadlineSync = Date.now() + 20_000;
    for (;;) {
      const nodes = await nodesSeen();
      const replicas = nodes.filter((n) => !n.master);
      const synced = await Promise.all(
        replicas.map(async (n) => /master_link_status:up/.test(await cli(n.port, 'info', 'replication'))),
      );
      if (replicas.length === 3 && synced.every(Boolean)) break;
      if (Date.now() > deadlineSync) throw new Error('cluster replicas did not sync');
      await sleep(100);
    }
  } catch (err) {
    killAll();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const initial = parseNodes(await cli(ports[0] as number, 'cluster', 'nodes'));
  const ordered = [...initial.filter((n) => n.master), ...initial.filter((n) => !n.master)];
  const node = (port: number): RedisClusterNode => ({ host: HOST, port });

  const masterOf = async (key: string): Promise<RedisClusterNode> => {
    const slot = Number(await cli(live()[0]?.[0] as number, 'cluster', 'keyslot', key));
    const nodes = await nodesSeen();
    for (const n of nodes) {
      if (!n.master || n.failed) continue;
      for (const range of n.slots) {
        const [lo, hi = lo] = range.split('-').map(Number);
        if (lo !== undefined && hi !== undefined && slot >= lo && slot <= hi) return node(n.port);
      }
    }
    throw new Error(`no master owns slot ${slot}`);
  };

  return {
    nodes: ordered.map((n) => node(n.port)),
    async masters() {
      return (await nodesSeen()).filter((n) => n.master && !n.failed && n.slots.length > 0).map((n) => node(n.port));
    },
    masterOf,
    async failover(key) {
      const from = await masterOf(key);
      const nodes = await nodesSeen();
      const fromId = nodes.find((n) => n.port === from.port)?.id;
      const replica = nodes.find((n) => !n.master && !n.failed && n.masterId === fromId);
      if (!replica) throw new Error(`master ${from.port} has no live replica`);
      await cli(replica.port, 'cluster', 'failover');
      const deadline = Date.now() + 20_000;
      while ((await masterOf(key)).port !== replica.port) {
        if (Date.now() > deadline) throw new Error('CLUSTER FAILOVER did not complete');
        await sleep(50);
      }
      await waitUntilHealthy();
      return { from, to: node(replica.port) };
    },
    async kill(port) {
      const child = children.get(port);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    waitUntilHealthy,
    async stop() {
      const exits = live().map(([, c]) => once(c, 'exit'));
      killAll();
      await Promise.all(exits);
      process.removeListener('exit', killAll);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
