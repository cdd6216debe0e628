// Loading, checking and selecting scenarios from bench/scenarios/*.mjs.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** bench/scenarios, or KOA_KIT_BENCH_SCENARIOS (the harness's own tests use another folder). */
export const SCENARIOS_DIR = process.env.KOA_KIT_BENCH_SCENARIOS
  ? path.resolve(process.env.KOA_KIT_BENCH_SCENARIOS)
  : path.resolve(HERE, '../scenarios');

/** The reference most HTTP scenarios are measured against. */
export const BARE_KOA = Object.freeze({
  name: 'bare koa',
  kind: 'http',
  server: 'bare.mjs',
  path: '/api',
  reference: null,
  goal: null,
  file: '(built in)',
  requires: [],
  note: 'Koa 3, one JSON route, no middleware',
});

const HTTP_KEYS = new Set([
  'name',
  'kind',
  'server',
  'path',
  'method',
  'headers',
  'body',
  'reference',
  'goal',
  'options',
  'setup',
  'expectStatus',
  'connections',
  'pipelining',
  'files',
  'requires',
  'maxPeakRssMb',
  'note',
]);
const THROUGHPUT_KEYS = new Set([
  'name',
  'kind',
  'run',
  'reference',
  'goal',
  'files',
  'requires',
  'maxPeakRssMb',
  'estimateS',
  'note',
]);
const RATIO_KEYS = new Set(['name', 'kind', 'of', 'reference', 'goal', 'note']);
const REQUIREMENTS = new Set(['redis', 'nginx', 'curl']);

function check(s, file, index) {
  const where = `bench/scenarios/${file}[${index}]${s && typeof s.name === 'string' ? ` "${s.name}"` : ''}`;
  const fail = (msg) => {
    throw new TypeError(`scenario ${where}: ${msg}`);
  };
  if (!s || typeof s !== 'object') fail('must be an object');
  if (typeof s.name !== 'string' || !s.name.trim()) fail('"name" must be a non-empty string');
  const kind = s.kind ?? 'http';
  if (kind !== 'http' && kind !== 'throughput' && kind !== 'ratio')
    fail('"kind" must be "http", "throughput" or "ratio"');
  const allowed = kind === 'http' ? HTTP_KEYS : kind === 'throughput' ? THROUGHPUT_KEYS : RATIO_KEYS;
  for (const k of Object.keys(s)) if (!allowed.has(k)) fail(`unknown field "${k}" for a ${kind} scenario`);
  if (s.reference != null && (typeof s.reference !== 'string' || !s.reference))
    fail('"reference" must be a scenario name');
  if (s.reference === s.name) fail('a scenario cannot be its own reference');
  if (s.goal != null && !(typeof s.goal === 'number' && s.goal > 0)) fail('"goal" must be a positive number (a ratio)');
  if (s.goal != null && s.reference == null) fail('a "goal" needs a "reference"');
  if (s.maxPeakRssMb != null && !(typeof s.maxPeakRssMb === 'number' && s.maxPeakRssMb > 0))
    fail('"maxPeakRssMb" must be a positive number');
  if (s.files != null) {
    if (typeof s.files !== 'object') fail('"files" must be { name: sizeInBytes }');
    for (const [n, size] of Object.entries(s.files))
      if (!Number.isInteger(size) || size < 0) fail(`files["${n}"] must be a size in bytes`);
  }
  const requires = [...(s.requires ?? [])];
  for (const r of requires) if (!REQUIREMENTS.has(r)) fail(`"requires" may list ${[...REQUIREMENTS].join(', ')}`);
  if (kind === 'http') {
    if (typeof s.server !== 'string' || !s.server)
      fail('"server" must name a file under bench/servers (or be "nginx")');
    if (s.server !== 'nginx' && (s.server.includes('..') || path.isAbsolute(s.server)))
      fail('"server" must be a file under bench/servers');
    if (typeof s.path !== 'string' || !s.path.startsWith('/')) fail('"path" must start with "/"');
    if (s.setup != null && typeof s.setup !== 'function') fail('"setup" must be a function');
    if (s.server === 'nginx' && !requires.includes('nginx')) requires.push('nginx');
  } else if (kind === 'ratio') {
    if (typeof s.of !== 'string' || !s.of) fail('"of" must name the measured scenario whose figure is divided');
    if (typeof s.reference !== 'string') fail('a ratio scenario needs a "reference"');
  } else {
    if (typeof s.run !== 'function') fail('"run" must be an async function (ctx) => ({ value, unit })');
    if (!requires.includes('curl')) requires.push('curl');
  }
  return { ...s, kind, reference: s.reference ?? null, goal: s.goal ?? null, requires, file };
}

/**
 * Imports every scenario file. Returns `{ scenarios, problems }`: a file that fails to import or
 * holds an invalid scenario is a problem (reported, the rest still runs).
 */
export async function loadScenarios() {
  const problems = [];
  const scenarios = [BARE_KOA];
  const files = (await readdir(SCENARIOS_DIR)).filter((f) => f.endsWith('.mjs')).sort();
  for (const file of files) {
    let list;
    try {
      list = (await import(pathToFileURL(path.join(SCENARIOS_DIR, file)).href)).default;
      if (!Array.isArray(list)) throw new TypeError('the default export must be an array of scenarios');
    } catch (err) {
      problems.push(`bench/scenarios/${file}: ${err.message}`);
      continue;
    }
    list.forEach((s, i) => {
      try {
        const c = check(s, file, i);
        if (scenarios.some((o) => o.name === c.name))
          throw new TypeError(
            `scenario name "${c.name}" is used twice (also in ${scenarios.find((o) => o.name === c.name).file})`,
          );
        scenarios.push(c);
      } catch (err) {
        problems.push(err.message);
      }
    });
  }
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const bad = new Set();
  for (const s of scenarios) {
    for (const field of s.kind === 'ratio' ? ['of', 'reference'] : ['reference']) {
      if (s[field] == null) continue;
      const other = byName.get(s[field]);
      const kind = s.kind === 'ratio' ? byName.get(s.of)?.kind : s.kind;
      let why = null;
      if (!other) why = `${field} "${s[field]}" does not exist`;
      else if (other.kind === 'ratio') why = `${field} "${s[field]}" is a ratio, not a measured scenario`;
      else if (kind && other.kind !== kind) why = `${field} "${s[field]}" is a ${other.kind} scenario, not ${kind}`;
      if (why) {
        problems.push(`scenario "${s.name}" (${s.file}): ${why}`);
        bad.add(s.name);
      }
    }
  }
  return { scenarios: scenarios.filter((s) => !bad.has(s.name)), problems };
}

/**
 * The scenarios matching `only` (a case-insensitive substring of the name or the file name), plus
 * every reference they need, in load order. Without `only`, every scenario.
 */
export function select(scenarios, only) {
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const wanted = new Set();
  const needle = only?.toLowerCase();
  for (const s of scenarios) {
    if (!needle || s.name.toLowerCase().includes(needle) || s.file.toLowerCase().includes(needle)) {
      const stack = [s];
      while (stack.length) {
        const cur = stack.pop();
        if (!cur || wanted.has(cur.name)) continue;
        wanted.add(cur.name);
        stack.push(byName.get(cur.reference), byName.get(cur.of));
      }
    }
  }
  return scenarios.filter((s) => wanted.has(s.name));
}

/** Groups scenarios joined by reference edges; each group is measured together, round by round. */
export function components(all) {
  const selected = all.filter((s) => s.kind !== 'ratio');
  const parent = new Map(selected.map((s) => [s.name, s.name]));
  const find = (n) => {
    while (parent.get(n) !== n) n = parent.get(n);
    return n;
  };
  for (const s of selected) if (s.reference && parent.has(s.reference)) parent.set(find(s.name), find(s.reference));
  const groups = new Map();
  for (const s of selected) {
    const root = find(s.name);
    if (!groups.has(root)) groups.set(root, []);
    groups.get(root).push(s);
  }
  // Inside a group: depth-first from the root reference, so every scenario is measured right after
  // its own reference (or a sibling measured against it). Throughput groups come first: their time
  // is the least predictable, and the HTTP rounds after them are fitted to what is left of the budget.
  const byRef = new Map();
  for (const s of selected) {
    const key = s.reference && parent.has(s.reference) ? s.reference : null;
    if (!byRef.has(key)) byRef.set(key, []);
    byRef.get(key).push(s);
  }
  const ordered = [];
  const visit = (s) => {
    ordered.push(s);
    for (const child of byRef.get(s.name) ?? []) visit(child);
  };
  for (const root of byRef.get(null) ?? []) visit(root);
  return [...groups.values()]
    .map((g) => ordered.filter((s) => g.includes(s)))
    .sort((a, b) => (a[0].kind === b[0].kind ? 0 : a[0].kind === 'throughput' ? -1 : 1));
}
