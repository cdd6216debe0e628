// The server process of `node bench/count.mjs` (run under callgrind): imports bench/servers/<file>,
// calls its default export with the JSON options of argv[3], listens on 127.0.0.1:0 and prints
// "PORT <n>" on stdout. No IPC channel: valgrind sits between this process and the counter.
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const [file, optionsJson] = process.argv.slice(2);
const made = await (await import(pathToFileURL(file).href)).default(JSON.parse(optionsJson ?? '{}'));
const listener =
  typeof made === 'function' ? made : typeof made?.callback === 'function' ? made.callback() : made?.listener;
if (typeof listener !== 'function') throw new TypeError(`${file}: not a request listener, a Koa app or { listener }`);
const server = http.createServer(listener);
if (typeof made?.setup === 'function') await made.setup(server);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
