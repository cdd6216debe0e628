import { connect } from 'node:net';
import type { HttpError } from 'http-errors';
import Koa from 'koa';

/** An app whose last middleware answers 'ok' and records that it ran; `caught` holds the last thrown error. */
export function makeApp(...middleware: Koa.Middleware[]): {
  app: Koa;
  ran: () => number;
  caught: () => HttpError | undefined;
} {
  const app = new Koa();
  let runs = 0;
  let lastError: HttpError | undefined;
  app.use(async (_ctx, next) => {
    try {
      await next();
    } catch (err) {
      lastError = err as HttpError;
      throw err;
    }
  });
  for (const m of middleware) app.use(m);
  app.use((ctx) => {
    runs++;
    ctx.body = { ok: true, rateLimit: ctx.state.rateLimit ?? null };
  });
  return { app, ran: () => runs, caught: () => lastError };
}

/** Fires `n` requests at once and returns their status codes. */
export async function burst(urls: string[], n: number, init?: RequestInit): Promise<number[]> {
  const all: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    const url = urls[i % urls.length]!;
    all.push(
      fetch(url, init).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      }),
    );
  }
  return Promise.all(all);
}

export const count = (statuses: number[], status: number): number => statuses.filter((s) => s === status).length;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fails on any app error other than the refusals this package is expected to throw (4xx with a code). */
export function assertOnlyRefusals(errors: unknown[], codes: string[] = ['RATE_LIMITED', 'CLIENT_DENIED']): void {
  for (const err of errors) {
    const e = err as { status?: number; expose?: boolean; code?: string };
    if (!(e.expose === true && typeof e.code === 'string' && codes.includes(e.code))) {
      throw new Error(`unexpected app error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
}

/**
 * Opens `n` connections first, waits until the server has accepted them, then writes one GET on each in the same tick, so the server reads
 * them in one turn of its event loop; resolves to the status codes.
 */
export async function rawBurst(port: number, n: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Socket>((resolve, reject) => {
          const s = connect(port, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        }),
    ),
  );
  await sleep(100); // let the server accept every connection before the requests go out
  const replies = sockets.map(
    (s) =>
      new Promise<number>((resolve, reject) => {
        let text = '';
        s.setEncoding('latin1');
        s.on('data', (chunk: string) => {
          text += chunk;
        });
        s.once('end', () => resolve(Number(text.slice(9, 12))));
        s.once('error', reject);
      }),
  );
  for (const s of sockets) s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  return Promise.all(replies);
}
