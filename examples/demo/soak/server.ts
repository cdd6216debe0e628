// The demo app in a child process for the soak test: it answers the parent's IPC messages with
// its memory after a forced GC (run with --expose-gc).
import { createDemo } from '../src/app.js';

const dataDir = process.env.SOAK_DATA_DIR;
if (!dataDir || !process.send) throw new Error('run me from soak.mjs');

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
}

// Small bounds for the stores, so the warm-up fills them and what follows is the steady state:
// a memory store or a token cache filling up to its bound is not a leak.
const app = await createDemo({ dataDir, apiRateLimit: 10_000_000, maxSessions: 200, maxCachedTokens: 100 });
app.on('error', (err: Error & { status?: number }) => {
  if ((err.status ?? 500) >= 500) process.send?.({ type: 'app-error', message: String(err) });
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'memory') {
    collect();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send?.({ type: 'memory', rss, heapUsed, external, arrayBuffers });
  } else if (message.type === 'stop') {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  }
});
