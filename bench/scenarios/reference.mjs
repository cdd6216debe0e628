// References other scenario files measure against, and the peers beside them.
// Names to use as `reference`: "bare koa" (built in), "nginx 4 KiB file", "nginx 1 MiB file",
// "nginx 1 GiB download", "plain stream 1 GiB upload", "plain stream 1 GiB upload, upload package
// loaded". The data files live in ctx.dataDir /
// the servers' `dataDir` option: 4KiB.bin, 1MiB.bin and 1GiB.bin (64MiB.bin under --quick).

/** The big file: 1 GiB, or 64 MiB in a --quick run. Upload and download scenarios share it. */
export async function bigFile(ctx) {
  const size = ctx.quick ? 64 * ctx.sizes.MiB : ctx.sizes.GiB;
  const name = ctx.quick ? '64MiB.bin' : '1GiB.bin';
  return { name, size, path: await ctx.file(name, size) };
}

/** Downloads `/<name>` of the big file from a started server; MB/s and the server's peak RSS. */
export async function downloadBig(ctx, server) {
  const { name, size } = await bigFile(ctx);
  const r = await ctx.download(`${server.url}/${name}`);
  if (r.bytes !== size) throw new Error(`downloaded ${r.bytes} bytes, expected ${size}`);
  return { value: r.mbPerS, unit: 'MB/s' };
}

/** curl -T of the big file to plain-upload.mjs (started with `options`); MB/s. */
async function plainUpload(ctx, options = {}) {
  const { path, size } = await bigFile(ctx);
  const server = await ctx.server('plain-upload.mjs', options);
  const r = await ctx.upload(`${server.url}/upload/big.bin`, path, { method: 'PUT' });
  if (JSON.parse(r.body).bytes !== size) throw new Error(`the server stored ${r.body}, expected ${size} bytes`);
  return { value: r.mbPerS, unit: 'MB/s' };
}

const small = { '4KiB.bin': 4096, '1MiB.bin': 1024 * 1024 };

export default [
  {
    name: 'nginx 4 KiB file',
    server: 'nginx',
    path: '/4KiB.bin',
    files: small,
    note: 'nginx, 1 worker, sendfile',
  },
  {
    name: 'nginx 1 MiB file',
    server: 'nginx',
    path: '/1MiB.bin',
    files: small,
    connections: 10,
    note: 'nginx, 1 worker, sendfile; 10 connections',
  },
  {
    name: 'nginx 1 GiB download',
    kind: 'throughput',
    requires: ['nginx'],
    estimateS: 3,
    note: 'one curl download',
    run: async (ctx) => downloadBig(ctx, await ctx.nginx()),
  },
  {
    name: 'plain stream 1 GiB upload',
    kind: 'throughput',
    estimateS: 5,
    note: 'curl -T to Koa piping the body to a file',
    run: (ctx) => plainUpload(ctx),
  },
  {
    name: 'plain stream 1 GiB upload, upload package loaded',
    kind: 'throughput',
    estimateS: 5,
    reference: 'plain stream 1 GiB upload',
    note: 'the same server with @koa-kit/upload imported, unused: what a bigger heap alone costs',
    run: (ctx) => plainUpload(ctx, { loadUploadPackage: true }),
  },
  // Peers: what koa-static (koa-send) does on the same files, for comparison (issue 6 measured
  // 0.078 x nginx for 4 KiB, 0.36 x for 1 MiB and 0.53 x for a 1 GiB download).
  {
    name: 'peer koa-static 4 KiB file',
    server: 'peer-koa-static.mjs',
    path: '/4KiB.bin',
    files: small,
    reference: 'nginx 4 KiB file',
    note: 'peer (koa-static 5)',
  },
  {
    name: 'peer koa-static 1 MiB file',
    server: 'peer-koa-static.mjs',
    path: '/1MiB.bin',
    files: small,
    connections: 10,
    reference: 'nginx 1 MiB file',
    note: 'peer (koa-static 5); 10 connections',
  },
  {
    name: 'peer koa-static 1 GiB download',
    kind: 'throughput',
    estimateS: 4,
    reference: 'nginx 1 GiB download',
    maxPeakRssMb: 150,
    note: 'peer (koa-static 5)',
    run: async (ctx) => downloadBig(ctx, await ctx.server('peer-koa-static.mjs')),
  },
];
