// The load generator: autocannon's programmatic API in its own process, pinned to the loader core
// by loader.mjs. Receives { id, opts } over IPC, answers { id, result } or { id, error }.
import autocannon from 'autocannon';

function run(opts) {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

process.on('disconnect', () => process.exit(0));

process.on('message', async ({ id, opts }) => {
  try {
    const { bodyB64, ...rest } = opts;
    if (bodyB64) rest.body = Buffer.from(bodyB64, 'base64');
    const r = await run(rest);
    const seconds = r.duration || opts.duration;
    process.send({
      id,
      result: {
        requests: r.requests.total,
        seconds,
        rps: r.requests.total / seconds,
        bytesPerS: r.throughput.total / seconds,
        latencyP50: r.latency.p50,
        latencyP99: r.latency.p99,
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        statusCodes: r.statusCodeStats ?? {},
      },
    });
  } catch (err) {
    process.send({ id, error: err?.message ?? String(err) });
  }
});
