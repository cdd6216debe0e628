// Runs one bench server module in its own process (started pinned by server.mjs):
// imports bench/servers/<file>, calls its default export with the options it receives over IPC,
// listens on 127.0.0.1:0 and reports the port back.
import http from 'node:http';
import { pathToFileURL } from 'node:url';

function toListener(made) {
  if (typeof made === 'function') return { listener: made };
  if (made && typeof made.callback === 'function') return { listener: made.callback() };
  if (made && typeof made.listener === 'function') return made;
  throw new TypeError('a bench server module must resolve to a request listener, a Koa app or { listener }');
}

// The harness owns this process: when it goes away, so do we.
process.on('disconnect', () => process.exit(0));

process.once('message', async ({ file, options }) => {
  try {
    const mod = await import(pathToFileURL(file).href);
    if (typeof mod.default !== 'function') throw new TypeError(`${file} has no default-exported function`);
    const { listener, setup } = toListener(await mod.default(options));
    const server = http.createServer(listener);
    if (typeof setup === 'function') await setup(server);
    server.listen(0, '127.0.0.1', () => {
      process.send({ ok: true, port: server.address().port });
    });
    process.on('SIGTERM', () => process.exit(0));
  } catch (err) {
    process.send({ ok: false, message: err?.message ?? String(err), code: err?.code, stack: err?.stack }, () =>
      process.exit(1),
    );
  }
});
