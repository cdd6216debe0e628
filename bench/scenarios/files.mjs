// @koa-kit/static (+ @koa-kit/range-download above it) against nginx on the same files, with
// koa-static (koa-send) measured beside it in the same run. Goals from issue 6: 4 KiB >= 0.40 x
// nginx, 1 MiB >= 0.70 x, a 1 GiB download >= 0.70 x nginx's MB/s, and a flat peak RSS while
// many clients download the 1 GiB file at once.
import { bigFile, downloadBig } from './reference.mjs';

const small = { '4KiB.bin': 4096, '1MiB.bin': 1024 * 1024 };
const CLIENTS = 8;

/** `CLIENTS` simultaneous downloads of the big file: aggregate MB/s. */
async function manyDownloads(ctx, url) {
  const { name, size } = await bigFile(ctx);
  const t0 = Date.now();
  const all = await Promise.all(Array.from({ length: CLIENTS }, () => ctx.download(`${url}/${name}`)));
  for (const r of all) if (r.bytes !== size) throw new Error(`downloaded ${r.bytes} bytes, expected ${size}`);
  const seconds = (Date.now() - t0) / 1000;
  return { value: (CLIENTS * size) / 1e6 / seconds, unit: 'MB/s' };
}

export default [
  {
    name: 'static 4 KiB file',
    server: 'files-static.mjs',
    path: '/4KiB.bin',
    files: small,
    reference: 'nginx 4 KiB file',
    goal: 0.4,
    note: 'serveStatic + rangeDownload; small-file cache (default)',
  },
  {
    name: 'static 4 KiB file, cache off',
    server: 'files-static.mjs',
    options: { cache: false },
    path: '/4KiB.bin',
    files: small,
    reference: 'nginx 4 KiB file',
    note: 'cacheMaxFileSize: 0 (every request streams from disk)',
  },
  {
    name: 'static 1 MiB file',
    server: 'files-static.mjs',
    path: '/1MiB.bin',
    files: small,
    connections: 10,
    reference: 'nginx 1 MiB file',
    goal: 0.7,
    note: '10 connections',
  },
  {
    name: 'static 1 MiB file, Range: bytes=0-65535',
    server: 'files-static.mjs',
    path: '/1MiB.bin',
    headers: { range: 'bytes=0-65535' },
    expectStatus: 206,
    files: small,
    connections: 10,
    reference: 'static 1 MiB file',
    note: 'a 64 KiB range: reopened at its offset, only its bytes read',
  },
  {
    name: 'static 1 GiB download',
    kind: 'throughput',
    estimateS: 3,
    reference: 'nginx 1 GiB download',
    goal: 0.7,
    maxPeakRssMb: 150,
    note: 'one curl download',
    run: async (ctx) => downloadBig(ctx, await ctx.server('files-static.mjs')),
  },
  {
    name: `nginx 1 GiB download x${CLIENTS} clients`,
    kind: 'throughput',
    requires: ['nginx'],
    estimateS: 8,
    note: `${CLIENTS} curl downloads at once, aggregate MB/s`,
    run: async (ctx) => manyDownloads(ctx, (await ctx.nginx()).url),
  },
  {
    name: `static 1 GiB download x${CLIENTS} clients`,
    kind: 'throughput',
    estimateS: 10,
    reference: `nginx 1 GiB download x${CLIENTS} clients`,
    maxPeakRssMb: 150,
    note: `${CLIENTS} curl downloads at once: peak RSS must stay flat`,
    run: async (ctx) => manyDownloads(ctx, (await ctx.server('files-static.mjs')).url),
  },
  {
    name: 'static / koa-static, 4 KiB',
    kind: 'ratio',
    of: 'static 4 KiB file',
    reference: 'peer koa-static 4 KiB file',
  },
  {
    name: 'static / koa-static, 1 MiB',
    kind: 'ratio',
    of: 'static 1 MiB file',
    reference: 'peer koa-static 1 MiB file',
  },
  {
    name: 'static / koa-static, 1 GiB download',
    kind: 'ratio',
    of: 'static 1 GiB download',
    reference: 'peer koa-static 1 GiB download',
  },
];
