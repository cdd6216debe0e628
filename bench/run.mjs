#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
// `npm run bench [-- --only <substr>] [-- --quick] [-- --list] [-- --write]`
// Measures every scenario of bench/scenarios/*.mjs against its reference in one run and reports
// ratios (see bench/README.md). Builds nothing: run `npm run build` first.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { download, upload } from './lib/clients.mjs';
import * as config from './lib/config.mjs';
import { DATA_DIR, ensureFile, GiB, KiB, MiB } from './lib/data.mjs';
import { checkDists } from './lib/dist.mjs';
import { Loader } from './lib/loader.mjs';
import { cpuModel, hasCurl, hasNginx, hasRedisServer, hasTaskset, hasWrk, pinned, setNiceness } from './lib/procs.mjs';
import { byPackage, topSelf } from './lib/profile.mjs';
import { startRedis } from './lib/redis.mjs';
import { machineNotes, markdown, table } from './lib/report.mjs';
import { components, loadScenarios, SCENARIOS_DIR, select } from './lib/scenarios.mjs';
import { profileServersInto, SERVERS_DIR, startNginx, startNodeServer } from './lib/server.mjs';
import { median, ratios, roundSchedule } from './lib/stats.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = path.join(ROOT, 'docs', 'benchmarks.md');
const RESULTS = path.join(ROOT, 'bench', 'results');

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const a = { only: null, quick: false, list: false, write: false, help: false, loader: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--only') {
      a.only = argv[++i];
      if (!a.only) throw new Error('--only needs a value (a part of a scenario or file name)');
    } else if (arg.startsWith('--only=')) a.only = arg.slice(7);
    else if (arg === '--quick') a.quick = true;
    else if (arg === '--nice') a.nice = true;
    else if (arg === '--rounds' || arg.startsWith('--rounds=')) {
      a.rounds = Number(arg.includes('=') ? arg.slice(9) : argv[++i]);
      if (!Number.isInteger(a.rounds) || a.rounds < 1 || a.rounds > 50)
        throw new Error('--rounds needs a whole number from 1 to 50');
    } else if (arg === '--cpu-prof') a.cpuProf = true;
    else if (arg === '--out' || arg.startsWith('--out=')) {
      a.out = arg.includes('=') ? arg.slice(6) : argv[++i];
      if (!a.out) throw new Error('--out needs a file name');
    } else if (arg === '--loader' || arg.startsWith('--loader=')) {
      a.loader = arg.includes('=') ? arg.slice(9) : argv[++i];
      if (a.loader !== 'wrk' && a.loader !== 'autocannon') throw new Error('--loader must be wrk or autocannon');
      if (a.loader === 'wrk' && !hasWrk) throw new Error('--loader wrk: wrk is not installed (apt-get install wrk)');
    } else if (arg === '--list') a.list = true;
    else if (arg === '--write') a.write = true;
    else if (arg === '--help' || arg === '-h') a.help = true;
    else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  return a;
}

const HELP = `npm run bench [-- options]
  --only <text>  only scenarios whose name or scenario file contains <text> (plus their references)
  --quick        ${config.QUICK.rounds} rounds x ${config.QUICK.durationS} s, short warm-up: for development, never written to docs/
  --rounds <n>   measure every scenario n times (default ${config.FULL.rounds}; ${config.QUICK.rounds} with --quick): more rounds, steadier medians
  --loader <x>   wrk or autocannon (default: wrk when installed, else autocannon)
  --cpu-prof     each server writes a CPU profile to bench/results/profiles/ (summarised at the end)
  --nice         run servers and load generator at nice -10 (root only): steadier figures on a busy machine
  --list         print the selected scenarios and the time plan, measure nothing
  --out <file>   write the report to <file> (instead of docs/benchmarks.md or bench/results/latest.md)
  --write        write docs/benchmarks.md even for a --only or --quick run
Full run: ${config.FULL.rounds} rounds x ${config.FULL.durationS} s per scenario and reference, ${config.FULL.warmupS} s warm-up; must finish within 15 min.`;

// ---------------------------------------------------------------- helpers
const log = (...a) => console.log(...a);
const closers = new Set();
function track(handle) {
  closers.add(handle);
  return handle;
}
let lastCloser = null;
async function closeAll() {
  await Promise.allSettled([...closers].map(async (h) => h?.close?.()));
  closers.clear();
  await lastCloser?.close();
}
function stopOnSignals() {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, async () => {
      console.error(`\n${sig}: stopping servers`);
      await closeAll();
      process.exit(130);
    });
  }
}

function serverFilesOf(scenario) {
  if (scenario.kind === 'http') return scenario.server === 'nginx' ? [] : [path.join(SERVERS_DIR, scenario.server)];
  // Throughput scenarios start servers in run(): check every server file their scenario file names.
  return [];
}

async function throughputServerFiles(selected) {
  const files = new Set();
  const { readdirSync } = await import('node:fs');
  const servers = readdirSync(SERVERS_DIR).filter((f) => f.endsWith('.mjs'));
  for (const file of new Set(selected.filter((s) => s.kind === 'throughput').map((s) => s.file))) {
    const text = await readFile(path.join(SCENARIOS_DIR, file), 'utf8');
    for (const srv of servers)
      if (text.includes(`'${srv}'`) || text.includes(`"${srv}"`)) files.add(path.join(SERVERS_DIR, srv));
  }
  return [...files];
}

function explainStartError(err) {
  const m = err.serverMessage ?? err.message;
  const pkg = m.match(/@koa-kit\/([a-z0-9-]+)/)?.[1];
  if (pkg && /does not provide an export|Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(m)) {
    return `@koa-kit/${pkg} is not built from its current sources (${m.split('\n')[0]}): run \`npm run build\``;
  }
  return m.split('\n')[0];
}

// ---------------------------------------------------------------- plan
function plan(groups, settings, fileBytes) {
  let http = 0;
  let fixed = fileBytes / config.FILE_WRITE_BYTES_PER_S;
  let httpMembers = 0;
  for (const g of groups) {
    if (g[0].kind === 'http') {
      const servers = new Set(g.map((s) => `${s.server} ${JSON.stringify(s.options ?? {})}`));
      fixed += servers.size * config.SERVER_START_S + g.length * (settings.warmupS + 0.3);
      const perRound = roundSchedule(g, 0).length;
      httpMembers += perRound;
      http += perRound * settings.rounds * settings.durationS;
    } else {
      for (const s of g) {
        // --quick moves 64 MiB instead of 1 GiB: a fraction of the time.
        const per = (s.estimateS ?? config.THROUGHPUT_ROUND_S) * (settings.quick ? 0.15 : 1);
        fixed += per * (settings.rounds + (settings.throughputWarmup ? 1 : 0));
      }
    }
  }
  return { totalS: fixed + http, fixedS: fixed, httpMembers };
}

/**
 * Before each HTTP group: the HTTP round length that lets this group and the ones after it finish
 * within BUDGET_TARGET_S, given the time already spent (never longer than planned, never below
 * MIN_DURATION_S).
 */
function fitToBudget(remaining, settings, planned, started) {
  const elapsed = (Date.now() - started) / 1000;
  const p = plan(remaining, { ...settings, durationS: 0 }, 0);
  const room = (config.BUDGET_TARGET_S - elapsed - p.fixedS) / (p.httpMembers * settings.rounds);
  const d = Math.max(config.MIN_DURATION_S, Math.min(planned, Math.floor(room)));
  if (d !== settings.durationS) {
    log(
      `\n${Math.round(elapsed)} s spent: HTTP rounds from here on last ${d} s (were ${settings.durationS} s) to finish within ${config.BUDGET_TARGET_S} s.`,
    );
    settings.durationS = d;
  }
}

// ---------------------------------------------------------------- measuring
async function measureHttpGroup(group, ctx) {
  const { settings, loader, workDir, redis } = ctx;
  const members = group.map((s) => ({ s, rounds: [], samples: [], busy: [], unit: 'req/s', error: null }));
  const servers = new Map();
  const baseOptions = { dataDir: DATA_DIR, redisUrl: redis?.url ?? null };
  let n = 0;
  for (const m of members) {
    const key = `${m.s.server} ${JSON.stringify(m.s.options ?? {})}`;
    if (!servers.has(key)) {
      const scratchDir = path.join(workDir, `scratch-${++n}`);
      await mkdir(scratchDir, { recursive: true });
      servers.set(
        key,
        (m.s.server === 'nginx'
          ? startNginx({ root: DATA_DIR, workDir })
          : startNodeServer(m.s.server, { ...baseOptions, scratchDir, ...(m.s.options ?? {}) })
        ).then(track, (err) => ({ error: explainStartError(err) })),
      );
    }
    m.server = await servers.get(key);
    if (m.server.error) {
      m.error = m.server.error;
      continue;
    }
    try {
      m.req = { ...m.s };
      if (m.s.setup) Object.assign(m.req, (await m.s.setup({ url: m.server.url, fetch, dataDir: DATA_DIR })) ?? {});
      await preflight(m);
      log(`  warm-up ${m.s.name}`);
      // A warm-up only has to warm up: its figures are not checked beyond "the server answered".
      await measureChecked(loader, m, settings.warmupS);
    } catch (err) {
      m.error = err.message;
    }
  }
  for (let r = 0; r < settings.rounds; r++) {
    for (const m of roundSchedule(members, r)) {
      if (m.error) continue;
      try {
        if (!m.server.alive()) throw new Error(`the server process died: ${m.server.output?.() ?? ''}`);
        const t0 = Date.now();
        const cpu0 = m.server.cpuSeconds();
        const res = await measureChecked(loader, m, settings.durationS);
        const cpu = m.server.cpuSeconds() - cpu0;
        m.rounds.push(res.rps);
        const sample = { t: (t0 + Date.now()) / 2, v: res.rps, cpu: null, p99: res.latencyP99 ?? null };
        if (cpu0 != null && cpu > 0) {
          sample.cpu = res.requests / cpu;
          m.busy.push(cpu / res.seconds);
        }
        m.samples.push(sample);
        log(
          `  round ${r + 1}/${settings.rounds}  ${m.s.name.padEnd(48)} ${Math.round(res.rps).toString().padStart(7)} req/s  p99 ${res.latencyP99} ms`,
        );
      } catch (err) {
        m.error = err.message;
      }
    }
  }
  await Promise.all(
    [...servers.values()].map(async (p) => {
      const h = await p;
      if (h.close) {
        await h.close();
        closers.delete(h);
      }
    }),
  );
  return members;
}

async function preflight(m) {
  const { method = 'GET', headers = {}, body } = m.req;
  const init = { method, headers: { ...headers } };
  if (body != null) {
    init.body = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    if (
      typeof body === 'object' &&
      !Buffer.isBuffer(body) &&
      !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
    ) {
      init.headers['content-type'] = 'application/json';
    }
  }
  const res = await fetch(m.server.url + m.req.path, init);
  const text = await res.text();
  if (!statusOk(m.req, res.status)) {
    throw new Error(`preflight ${method} ${m.req.path} answered ${res.status}: ${text.slice(0, 200)}`);
  }
}

function statusOk(req, status) {
  if (req.expectStatus != null) return [].concat(req.expectStatus).includes(status);
  return status >= 200 && status < 300;
}

/**
 * One measurement, checked; a measurement that fails (no request completed, errors) is tried once
 * more before the scenario counts as failed, since a busy machine can stall one round.
 */
async function measureChecked(loader, m, durationS) {
  try {
    const res = await loader.measure({ url: m.server.url, scenario: m.req, durationS });
    checkResponses(m, res);
    return res;
  } catch (err) {
    log(`  ! ${m.s.name}: ${err.message.split('\n')[0]}; measuring again`);
    const res = await loader.measure({ url: m.server.url, scenario: m.req, durationS });
    checkResponses(m, res);
    return res;
  }
}

function checkResponses(m, res) {
  const total = res.requests || 1;
  let bad = res.errors + res.timeouts;
  if (m.req.expectStatus != null && res.expectChecked) bad += res.non2xx;
  else if (m.req.expectStatus != null) {
    const want = new Set([].concat(m.req.expectStatus).map(String));
    for (const [code, v] of Object.entries(res.statusCodes)) if (!want.has(code)) bad += v.count ?? 0;
  } else bad += res.non2xx;
  if (res.requests === 0) throw new Error('no request completed');
  if (bad / total > config.MAX_BAD_RESPONSE_SHARE) {
    const codes = Object.entries(res.statusCodes)
      .map(([c, v]) => `${c}: ${v.count}`)
      .join(', ');
    throw new Error(
      `${bad} of ${total} responses were errors or unexpected statuses (${codes}; errors ${res.errors}, timeouts ${res.timeouts})`,
    );
  }
}

async function measureThroughputGroup(group, ctx) {
  const { settings, workDir, redis } = ctx;
  const members = group.map((s) => ({ s, rounds: [], samples: [], peaks: [], unit: null, error: null }));
  const memo = new Map();
  let n = 0;
  const scratchRoot = path.join(workDir, 'throughput');
  const makeCtx = (used) => {
    const scratchDir = path.join(scratchRoot, 'scratch');
    return {
      quick: settings.quick,
      dataDir: DATA_DIR,
      scratchDir,
      redisUrl: redis?.url ?? null,
      serverCore: config.SERVER_CORE,
      loaderCore: config.LOADER_CORE,
      sizes: { KiB, MiB, GiB },
      file: (name, size) => ensureFile(DATA_DIR, name, size),
      pinned: (cmd, args) => pinned(config.LOADER_CORE, cmd, args),
      download,
      upload,
      async server(file, options = {}) {
        const key = `${file} ${JSON.stringify(options)}`;
        if (!memo.has(key)) {
          const dir = path.join(scratchRoot, `server-${++n}`);
          await mkdir(dir, { recursive: true });
          memo.set(
            key,
            startNodeServer(file, {
              dataDir: DATA_DIR,
              redisUrl: redis?.url ?? null,
              scratchDir: dir,
              ...options,
            }).then(track, (err) => {
              throw new Error(explainStartError(err));
            }),
          );
        }
        const h = await memo.get(key);
        h.resetPeakRss();
        used.add(h);
        return h;
      },
      async nginx(root = DATA_DIR) {
        if (!hasNginx) throw new Error('nginx is not installed');
        const key = `nginx ${root}`;
        if (!memo.has(key)) memo.set(key, startNginx({ root, workDir }).then(track));
        const h = await memo.get(key);
        h.resetPeakRss();
        used.add(h);
        return h;
      },
    };
  };
  /** Empties every server's scratch folder: uploads must not pile up gigabytes across rounds. */
  const emptyServerDirs = async () => {
    for (let i = 1; i <= n; i++) {
      const dir = path.join(scratchRoot, `server-${i}`);
      for (const name of await readdir(dir).catch(() => [])) {
        await rm(path.join(dir, name), { recursive: true, force: true });
      }
    }
  };
  const once = async (m) => {
    const used = new Set();
    const c = makeCtx(used);
    await rm(c.scratchDir, { recursive: true, force: true });
    await mkdir(c.scratchDir, { recursive: true });
    // Every measurement starts with no dirty pages waiting: otherwise the kernel's writeback of the
    // previous round's gigabyte lands on whichever scenario runs next (rounds 237 vs 422 MB/s).
    try {
      execFileSync('sync');
    } catch {}
    try {
      const out = await m.s.run(c);
      if (!out || typeof out.value !== 'number' || !(out.value > 0) || typeof out.unit !== 'string') {
        throw new Error('run() must resolve to { value: <positive number>, unit: <string>, peakRssMb? }');
      }
      if (m.unit && m.unit !== out.unit) throw new Error(`run() changed its unit from ${m.unit} to ${out.unit}`);
      m.unit = out.unit;
      const peaks = [...used].map((h) => h.peakRssMb()).filter((v) => v != null);
      const peak = out.peakRssMb ?? (peaks.length ? Math.max(...peaks) : null);
      return { value: out.value, peak };
    } finally {
      await rm(c.scratchDir, { recursive: true, force: true });
      await emptyServerDirs();
    }
  };
  if (settings.throughputWarmup) {
    for (const m of members) {
      log(`  warm-up ${m.s.name}`);
      try {
        await once(m);
      } catch (err) {
        m.error = err.message;
      }
    }
  }
  for (let r = 0; r < settings.rounds; r++) {
    for (const m of roundSchedule(members, r)) {
      if (m.error) continue;
      try {
        const t0 = Date.now();
        const { value, peak } = await once(m);
        m.rounds.push(value);
        m.samples.push({ t: (t0 + Date.now()) / 2, v: value });
        if (peak != null) m.peaks.push(peak);
        log(
          `  round ${r + 1}/${settings.rounds}  ${m.s.name.padEnd(48)} ${value.toFixed(0).padStart(7)} ${m.unit}${peak != null ? `  peak RSS ${peak.toFixed(0)} MB` : ''}`,
        );
      } catch (err) {
        m.error = err.message;
      }
    }
  }
  for (const p of memo.values()) {
    const h = await p.catch(() => null);
    if (h) {
      await h.close();
      closers.delete(h);
    }
  }
  return members;
}

// ---------------------------------------------------------------- main
async function main() {
  stopOnSignals();
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    log(HELP);
    return 0;
  }
  const started = Date.now();
  const profileDir = path.join(RESULTS, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  if (args.cpuProf) {
    await mkdir(profileDir, { recursive: true });
    profileServersInto(profileDir);
  }
  if (args.nice) setNiceness(process.getuid?.() === 0 ? -10 : 0);
  const settings = {
    ...(args.quick ? config.QUICK : config.FULL),
    ...(args.rounds ? { rounds: args.rounds } : {}),
    quick: args.quick,
    connections: config.CONNECTIONS,
    pipelining: config.PIPELINING,
  };

  const { scenarios, problems } = await loadScenarios();
  for (const p of problems) console.error(`! ${p}`);
  let selected = select(scenarios, args.only);
  if (args.only && selected.length === 0) {
    throw new Error(`--only ${args.only} matches no scenario`);
  }

  // What this machine cannot run is skipped (and said so), with everything measured against it.
  const have = { nginx: hasNginx, curl: hasCurl, redis: Boolean(process.env.REDIS_URL) || hasRedisServer };
  const skipped = [];
  const skip = new Map();
  for (const s of selected) {
    const missing = (s.requires ?? []).filter((r) => !have[r]);
    if (missing.length) skip.set(s.name, `needs ${missing.join(', ')}, not installed here`);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of selected) {
      const dep = [s.reference, s.of].find((d) => d && skip.has(d));
      if (!skip.has(s.name) && dep) {
        skip.set(s.name, `"${dep}" is skipped`);
        changed = true;
      }
    }
  }
  for (const [name, reason] of skip) skipped.push({ name, reason });
  selected = selected.filter((s) => !skip.has(s.name));

  // Builds nothing, but says so clearly when a package the servers import is not built.
  const serverFiles = [...selected.flatMap(serverFilesOf), ...(await throughputServerFiles(selected))];
  const { missing, stale } = checkDists(serverFiles);
  if (missing.length) {
    console.error(
      `The bench imports the built packages, and these have no dist/: ${missing.map((p) => `@koa-kit/${p}`).join(', ')}.`,
    );
    console.error('Run `npm run build` first (the bench builds nothing itself).');
    return 2;
  }
  if (stale.length)
    console.error(
      `! sources newer than dist/ for ${stale.map((p) => `@koa-kit/${p}`).join(', ')}: run \`npm run build\` to measure the current code`,
    );

  const groups = components(selected);
  let fileBytes = 0;
  for (const s of selected) for (const size of Object.values(s.files ?? {})) fileBytes += size;
  let p = plan(groups, settings, fileBytes);
  if (!args.quick && p.totalS > config.BUDGET_TARGET_S && p.httpMembers > 0) {
    const room = (config.BUDGET_TARGET_S - p.fixedS) / (p.httpMembers * settings.rounds);
    const d = Math.max(config.MIN_DURATION_S, Math.floor(room));
    if (d < settings.durationS) {
      log(
        `The plan exceeds ${config.BUDGET_TARGET_S} s: HTTP rounds shortened from ${settings.durationS} s to ${d} s.`,
      );
      settings.durationS = d;
      p = plan(groups, settings, fileBytes);
    }
  }
  const http = selected.filter((s) => s.kind === 'http').length;
  const tp = selected.filter((s) => s.kind === 'throughput').length;
  log(
    `Plan: ${http} HTTP members x (${settings.warmupS} s warm-up + ${settings.rounds} rounds x ${settings.durationS} s), ` +
      `${tp} throughput members x ${settings.rounds} rounds${settings.throughputWarmup ? ' + warm-up' : ''}: ` +
      `about ${Math.round(p.totalS)} s (${(p.totalS / 60).toFixed(1)} min; limit ${config.BUDGET_LIMIT_S / 60} min).`,
  );
  if (p.totalS > config.BUDGET_LIMIT_S)
    console.error(
      `! the plan exceeds the ${config.BUDGET_LIMIT_S / 60} min limit: give throughput scenarios smaller estimateS or fewer scenarios`,
    );
  if (os.loadavg()[0] > 0.5)
    log(`! load average ${os.loadavg()[0].toFixed(1)}: something else is running, figures will be noisy`);
  log(
    `Pinning: ${hasTaskset ? `servers on core ${config.SERVER_CORE}, load on core ${config.LOADER_CORE}` : 'taskset not found, not pinned'}.`,
  );
  if (args.list) {
    for (const g of groups) {
      log(`group (${g[0].kind}):`);
      for (const s of g)
        log(
          `  ${s.name}${s.reference ? `  vs ${s.reference}` : '  (reference)'}${s.goal ? `  goal >= ${s.goal}` : ''}  [${s.file}]`,
        );
    }
    for (const s of selected.filter((x) => x.kind === 'ratio'))
      log(`ratio: ${s.name} = ${s.of} / ${s.reference}  [${s.file}]`);
    for (const s of skipped) log(`skipped: ${s.name}: ${s.reason}`);
    return 0;
  }

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'koa-kit-bench-'));
  // Removed at the end, or by the SIGINT/SIGTERM handler (after the servers stopped).
  lastCloser = { close: () => rm(workDir, { recursive: true, force: true }) };
  const loader = track(new Loader(args.loader ?? undefined).start());
  settings.loader = loader.kind;
  const loadBefore = os.loadavg()[0];
  let redis = null;
  const measured = [];
  try {
    if (selected.some((s) => s.requires?.includes('redis'))) redis = track(await startRedis());
    if (fileBytes) log(`Preparing data files in ${DATA_DIR}`);
    await Promise.all(
      selected.flatMap((s) => Object.entries(s.files ?? {}).map(([n, size]) => ensureFile(DATA_DIR, n, size))),
    );
    const planned = settings.durationS;
    for (const [i, g] of groups.entries()) {
      if (g[0].kind === 'http' && !args.quick) fitToBudget(groups.slice(i), settings, planned, started);
      log(`\n${g[0].kind === 'http' ? 'HTTP' : 'Throughput'} group: ${g.map((s) => s.name).join(' | ')}`);
      const ctx = { settings, loader, workDir, redis };
      if (g[0].kind === 'http') {
        const members = await measureHttpGroup(g, ctx);
        for (const m of members) m.durationS = settings.durationS;
        measured.push(...members);
      } else {
        measured.push(...(await measureThroughputGroup(g, ctx)));
        // Let the uploads' dirty pages reach the disk now, not during the next measurements.
        try {
          execFileSync('sync');
        } catch {}
      }
    }
  } finally {
    await closeAll();
    await rm(workDir, { recursive: true, force: true });
  }

  // Ratios, each from figures of this run.
  const byName = new Map(measured.map((m) => [m.s.name, m]));
  for (const m of measured) m.value = m.rounds.length ? median(m.rounds) : null;
  const rows = [];
  for (const s of selected) {
    if (!s.reference) continue;
    const m = byName.get(s.kind === 'ratio' ? s.of : s.name);
    const ref = byName.get(s.reference);
    const row = { name: s.name, reference: s.reference, goal: s.goal, note: s.note, maxPeakRssMb: s.maxPeakRssMb };
    if (m.error || m.value == null)
      row.error = s.kind === 'ratio' ? `"${s.of}" failed: ${m.error ?? 'no figure'}` : (m.error ?? 'no figure');
    else if (ref.error || ref.value == null) row.error = `reference failed: ${ref.error ?? 'no figure'}`;
    else if (m.unit !== ref.unit) row.error = `unit ${m.unit} differs from the reference's ${ref.unit}`;
    else {
      const per = ratios(m, ref, 'v');
      row.ratio = median(per);
      if (per.length > 1) row.range = `${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)}`;
      if (m.peaks?.length) row.peakRssMb = Math.max(...m.peaks);
      const perCpu = ratios(m, ref, 'cpu');
      if (perCpu.length) row.perCpuRatio = median(perCpu);
      // p99 latency under the same load, beside the reference's (issue 26: no worse than 1 / ratio)
      const perP99 = ratios(m, ref, 'p99');
      if (perP99.length) {
        row.p99Ms = median(m.samples.map((x) => x.p99).filter((x) => x != null));
        row.refP99Ms = median(ref.samples.map((x) => x.p99).filter((x) => x != null));
        row.p99Ratio = median(perP99);
      }
      const busy = [m, ref].filter((x) => x.busy?.length).map((x) => ({ name: x.s.name, busy: median(x.busy) }));
      const idle = busy.filter((b) => b.busy < 0.85);
      if (idle.length) row.idle = idle.map((b) => `${b.name} ${Math.round(b.busy * 100)}%`).join(', ');
      row.met =
        row.goal == null
          ? null
          : row.ratio >= row.goal && (row.maxPeakRssMb == null || (row.peakRssMb ?? 0) < row.maxPeakRssMb);
    }
    rows.push(row);
  }
  const refErrors = measured.filter((m) => !m.s.reference && m.error);
  for (const m of refErrors) console.error(`! reference "${m.s.name}" failed: ${m.error}`);

  let nginxVersion = 'not installed';
  if (hasNginx) {
    try {
      nginxVersion = execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' })
        .trim()
        .replace('nginx version: ', '');
    } catch {
      nginxVersion = 'installed';
    }
  }
  const elapsedS = (Date.now() - started) / 1000;
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const machine = machineNotes({
    cpu: cpuModel(),
    taskset: hasTaskset,
    dataDir: DATA_DIR,
    nginx: hasNginx ? `${nginxVersion}, 1 worker, sendfile on` : 'not installed',
    redis: redis ? redis.note : 'not used',
    loadStart: loadBefore,
    load: `${loadBefore.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`,
    nice: args.nice && process.getuid?.() === 0 ? -10 : 0,
  });
  const used = [...new Set(measured.filter((m) => m.durationS).map((m) => m.durationS))];
  if (used.length > 1) settings.durationsS = `${used.join(' or ')} (shortened to fit the budget)`;
  const md = markdown({
    rows,
    measured: measured.map((m) => ({
      name: m.s.name,
      value: m.value,
      unit: m.unit,
      rounds: m.rounds,
      error: m.error,
      busy: m.busy?.length ? median(m.busy) : null,
      p99Ms: m.samples?.some((x) => x.p99 != null)
        ? median(m.samples.map((x) => x.p99).filter((x) => x != null))
        : null,
    })),
    settings,
    machine,
    problems,
    skipped,
    elapsedS,
    plannedS: p.totalS,
    command,
  });

  log(`\n${table(rows)}\n`);
  for (const s of skipped) log(`skipped: ${s.name}: ${s.reason}`);
  log(
    `${rows.filter((r) => r.met).length} of ${rows.filter((r) => r.goal != null).length} goals met; took ${Math.round(elapsedS)} s (planned ${Math.round(p.totalS)} s, limit ${config.BUDGET_LIMIT_S} s).`,
  );

  await mkdir(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  await writeFile(
    path.join(RESULTS, `${stamp}.json`),
    JSON.stringify(
      {
        settings,
        machine,
        rows,
        measured: measured.map((m) => ({
          name: m.s.name,
          reference: m.s.reference,
          samples: m.samples,
          busy: m.busy,
          unit: m.unit,
          rounds: m.rounds,
          peaks: m.peaks,
          error: m.error,
        })),
      },
      null,
      2,
    ),
  );
  const full = !args.only && !args.quick;
  if (args.out) {
    await writeFile(path.resolve(args.out), md);
    log(`Wrote ${args.out}`);
  } else if (full || args.write) {
    await writeFile(REPORT, md);
    log(`Wrote ${path.relative(ROOT, REPORT)}`);
  } else {
    await writeFile(path.join(RESULTS, 'latest.md'), md);
    log(`Wrote bench/results/latest.md (docs/benchmarks.md is written by full runs, or with --write)`);
  }
  if (args.cpuProf) {
    const { readdirSync } = await import('node:fs');
    for (const f of readdirSync(profileDir).filter((x) => x.endsWith('.cpuprofile'))) {
      const file = path.join(profileDir, f);
      log(`\nCPU profile ${path.relative(ROOT, file)}`);
      log(
        `  by package: ${byPackage(file)
          .map((e) => `${e.name} ${(e.share * 100).toFixed(1)}%`)
          .join(', ')}`,
      );
      log('  top self time:');
      for (const e of topSelf(path.join(profileDir, f), 12)) {
        log(`  ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.name}  ${e.where}`);
      }
    }
  }
  const failed = rows.some((r) => r.error) || refErrors.length > 0 || problems.length > 0;
  return failed ? 1 : 0;
}

/**
 * One benchmark at a time per machine: two runs pinned to the same cores would measure each
 * other. Unless this process already holds it, re-run this command under `flock` on a lock file
 * in the temp dir (waiting, and saying so, while another run holds it). --list and --help need no lock.
 */
async function underMachineLock() {
  const argv = process.argv.slice(2);
  if (process.env.KOA_KIT_BENCH_LOCKED || argv.some((a) => a === '--list' || a === '--help' || a === '-h')) return null;
  const { spawn, spawnSync } = await import('node:child_process');
  if (spawnSync('sh', ['-c', 'command -v flock'], { stdio: 'ignore' }).status !== 0) return null;
  const lock = path.join(os.tmpdir(), 'koa-kit-bench.lock');
  const self = [process.execPath, fileURLToPath(import.meta.url), ...argv];
  const env = { ...process.env, KOA_KIT_BENCH_LOCKED: '1' };
  if (spawnSync('flock', ['-n', lock, 'true'], { stdio: 'ignore' }).status !== 0) {
    log(`Another \`npm run bench\` is running on this machine (${lock}): waiting for it to finish.`);
  }
  // sh takes the lock on fd 9 and then execs node, which inherits the lock: signals reach node itself.
  const child = spawn('sh', ['-c', 'exec 9>"$0" && flock 9 && exec "$@"', lock, ...self], { stdio: 'inherit', env });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, sg) => resolve([c, sg])));
  return signal ? 130 : (code ?? 2);
}

const locked = await underMachineLock();
if (locked !== null) {
  process.exitCode = locked;
} else {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    async (err) => {
      console.error(err?.stack ?? err);
      await closeAll();
      process.exitCode = 2;
    },
  );
}
