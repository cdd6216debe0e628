// A steady load for the failover test: `users` virtual users, each with its own session cookie,
// each sending one request at a time at a fixed rate over keep-alive connections.

export interface Sample {
  /** ms since the load started, when the answer (or the failure) arrived. */
  at: number;
  user: number;
  status: number;
  /** `code` of a problem-details body (errors()), `FETCH_FAILED` when no answer arrived. */
  code?: string;
  /** The session's hit counter after this request (200 only). */
  hits?: number;
  instance?: string;
  /** How long the answer took, ms. */
  ms: number;
}

export interface SteadyLoad {
  /** Every answer so far, in arrival order. */
  samples: Sample[];
  /** ms since the load started. */
  now(): number;
  /** Stops sending; resolves when every user's last request has settled. */
  stop(): Promise<Sample[]>;
}

export function steadyLoad(
  url: string,
  cookies: string[],
  { perUserRate, timeoutMs = 5000 }: { perUserRate: number; timeoutMs?: number },
): SteadyLoad {
  const started = performance.now();
  const now = () => performance.now() - started;
  const samples: Sample[] = [];
  const period = 1000 / perUserRate;
  let running = true;

  const user = async (index: number): Promise<void> => {
    // Users are spread over the period, so the load is even rather than in bursts.
    let due = (index * period) / cookies.length;
    while (running) {
      const wait = due - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!running) break;
      due += period;
      const sent = now();
      try {
        const res = await fetch(url, {
          headers: { cookie: cookies[index]!, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = (await res.json().catch(() => ({}))) as { code?: string; hits?: number; instance?: string };
        samples.push({
          at: now(),
          user: index,
          status: res.status,
          ms: now() - sent,
          ...(res.status === 200 ? { hits: body.hits, instance: body.instance } : { code: body.code }),
        });
      } catch {
        samples.push({ at: now(), user: index, status: 0, code: 'FETCH_FAILED', ms: now() - sent });
      }
    }
  };

  const all = cookies.map((_, i) => user(i));
  return {
    samples,
    now,
    async stop() {
      running = false;
      await Promise.all(all);
      return samples;
    },
  };
}
