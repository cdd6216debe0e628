// The harness's own tests: `npm test -w @koa-kit/bench` (node:test; not part of the root vitest run).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'koa-kit-bench-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function scenarioDir(name, files) {
  const dir = path.join(tmp, name);
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(path.join(mkdirp(dir), file), text);
  }
  return dir;
}
function mkdirp(dir) {
  spawnSync('mkdir', ['-p', dir]);
  return dir;
}

async function load(dir) {
  process.env.KOA_KIT_BENCH_SCENARIOS = dir;
  // A fresh module instance per folder: SCENARIOS_DIR is read at import.
  const mod = await import(`../lib/scenarios.mjs?dir=${encodeURIComponent(dir)}`);
  return { mod, ...(await mod.loadScenarios()) };
}

describe('scenario files', () => {
  test('valid scenarios load; each broken one is reported with its file and name, the rest still load', async () => {
    const dir = scenarioDir('mixed', {
      'a.mjs': `export default [
        { name: 'json', server: 'bare.mjs', path: '/api', reference: 'bare koa', goal: 0.9 },
        { name: 'typo', server: 'bare.mjs', path: '/api', refrence: 'bare koa' },
        { name: 'no path', server: 'bare.mjs', reference: 'bare koa' },
        { name: 'escape', server: '../run.mjs', path: '/' },
        { name: 'dangling', server: 'bare.mjs', path: '/api', reference: 'nope' },
        { name: 'goal alone', server: 'bare.mjs', path: '/api', goal: 2 },
        { name: 'tp', kind: 'throughput', run: async () => ({ value: 1, unit: 'MB/s' }) },
        { name: 'mixed kinds', server: 'bare.mjs', path: '/api', reference: 'tp' },
        { name: 'json over tp', kind: 'ratio', of: 'json', reference: 'tp' },
        { name: 'json ratio', kind: 'ratio', of: 'json', reference: 'bare koa' },
      ];`,
      'b.mjs': `export default [{ name: 'json', server: 'bare.mjs', path: '/api' }];`,
      'c.mjs': 'export default {};',
      'd.mjs': 'export default [ syntax error',
    });
    const { scenarios, problems } = await load(dir);
    assert.deepEqual(scenarios.map((s) => s.name).sort(), ['bare koa', 'json', 'json ratio', 'tp']);
    const text = problems.join('\n');
    for (const expected of [
      /a\.mjs\[1\] "typo": unknown field "refrence"/,
      /"no path": "path" must start with/,
      /"escape": "server" must be a file under bench\/servers/,
      /"dangling".*reference "nope" does not exist/,
      /"goal alone": a "goal" needs a "reference"/,
      /"mixed kinds".*is a throughput scenario, not http/,
      /"json over tp".*is a throughput scenario, not http/,
      /"json" is used twice/,
      /c\.mjs: the default export must be an array/,
      /d\.mjs: /,
    ]) {
      assert.match(text, expected);
    }
  });

  test('--only keeps the matches and every reference they need; groups follow reference edges', async () => {
    const dir = scenarioDir('graph', {
      'x.mjs': `export default [
        { name: 'mem', server: 'bare.mjs', path: '/api', reference: 'bare koa' },
        { name: 'redis', server: 'bare.mjs', path: '/api', reference: 'mem' },
        { name: 'nginx small', server: 'nginx', path: '/4KiB.bin' },
        { name: 'static small', server: 'bare.mjs', path: '/api', reference: 'nginx small' },
        { name: 'up ref', kind: 'throughput', run: async () => ({ value: 1, unit: 'MB/s' }) },
        { name: 'up', kind: 'throughput', reference: 'up ref', run: async () => ({ value: 1, unit: 'MB/s' }) },
        { name: 'redis vs bare', kind: 'ratio', of: 'redis', reference: 'bare koa' },
      ];`,
    });
    const { mod, scenarios, problems } = await load(dir);
    assert.deepEqual(problems, []);
    const names = (list) => list.map((s) => s.name);
    assert.deepEqual(names(mod.select(scenarios, 'REDIS')), ['bare koa', 'mem', 'redis', 'redis vs bare']);
    assert.deepEqual(names(mod.select(scenarios, 'x.mjs')), names(scenarios)); // bare koa comes in as a reference
    assert.deepEqual(names(mod.select(scenarios, 'nothing matches')), []);
    const groups = mod.components(scenarios).map(names);
    // Throughput groups first (their time is the least predictable), then HTTP, depth-first.
    assert.deepEqual(groups, [
      ['up ref', 'up'],
      ['bare koa', 'mem', 'redis'],
      ['nginx small', 'static small'],
    ]);
    assert.equal(scenarios.find((s) => s.name === 'nginx small').requires.includes('nginx'), true);
  });
});

describe("the repository's scenarios", () => {
  test('load without problems; the floor is measured against bare koa and the full stack against the floor', async () => {
    const { scenarios, problems } = await load(path.join(BENCH, 'scenarios'));
    assert.deepEqual(problems, []);
    const byName = new Map(scenarios.map((s) => [s.name, s]));
    const floor = byName.get('floor: five pass-through middleware');
    assert.equal(floor?.server, 'floor.mjs');
    assert.equal(floor.reference, 'bare koa');
    assert.equal(floor.goal, null, 'the floor is a reference, not a goal');
    const vsFloor = byName.get('full stack vs floor');
    assert.deepEqual(
      [vsFloor?.kind, vsFloor.of, vsFloor.reference, vsFloor.goal],
      ['ratio', 'full stack, logged in', floor.name, 0.83],
    );
    assert.equal(byName.get('full stack, logged in').goal, 0.75);
    // --only stack brings the floor and bare koa along, and they share one group with the stack.
    const { select, components } = await import('../lib/scenarios.mjs');
    const group = components(select(scenarios, 'stack')).find((g) => g.some((s) => s.name === floor.name));
    assert.ok(group.some((s) => s.name === 'full stack, logged in') && group[0].name === 'bare koa');
  });

  test('the floor server: five pass-through middleware in front of the bare-koa route', async () => {
    const { default: floor } = await import('../servers/floor.mjs');
    const http = await import('node:http');
    const server = http.createServer(await floor());
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${server.address().port}/api`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { hello: 'world' });
    } finally {
      server.close();
    }
  });
});

describe('p99 note', async () => {
  const { p99Note } = await import('../lib/report.mjs');
  test('within when the p99 ratio is no worse than 1 / throughput ratio, over otherwise', () => {
    assert.match(
      p99Note({ ratio: 0.8, p99Ratio: 1.2, p99Ms: 2.4, refP99Ms: 2 }),
      /p99 2\.40 ms vs 2\.00 ms \(1\.20 x, within 1\/ratio 1\.25\)/,
    );
    assert.match(p99Note({ ratio: 0.8, p99Ratio: 1.4, p99Ms: 2.8, refP99Ms: 2 }), /\*\*over\*\* 1\/ratio 1\.25/);
  });
});

describe('a quick run end to end', () => {
  test('measures scenario and reference in one group, reports ratios, and turns a wrong status into an error', () => {
    const dir = scenarioDir('e2e', {
      'selftest.mjs': `export default [
        { name: 'selftest text', server: 'bare.mjs', path: '/text', reference: 'bare koa', goal: 0.01 },
        { name: 'selftest echo', server: 'bare.mjs', path: '/echo', method: 'POST', body: { a: 1 }, reference: 'bare koa', goal: 1000 },
        { name: 'selftest 404', server: 'bare.mjs', path: '/none', expectStatus: 404, reference: 'bare koa' },
        { name: 'selftest wrong status', server: 'bare.mjs', path: '/none', reference: 'bare koa' },
        { name: 'selftest upload ref', kind: 'throughput', estimateS: 1, run: async (ctx) => {
            const file = await ctx.file('selftest-1MiB.bin', ctx.sizes.MiB);
            const s = await ctx.server('plain-upload.mjs');
            const r = await ctx.upload(s.url + '/upload/x', file);
            if (JSON.parse(r.body).bytes !== ctx.sizes.MiB) throw new Error('short upload');
            return { value: r.mbPerS, unit: 'MB/s' };
          } },
        { name: 'selftest upload', kind: 'throughput', reference: 'selftest upload ref', maxPeakRssMb: 100000, run: async (ctx) => {
            const file = await ctx.file('selftest-1MiB.bin', ctx.sizes.MiB);
            const s = await ctx.server('plain-upload.mjs');
            const r = await ctx.upload(s.url + '/upload/y', file);
            return { value: r.mbPerS, unit: 'MB/s' };
          } },
      ];`,
    });
    const out = path.join(tmp, 'report.md');
    const run = spawnSync(
      process.execPath,
      [path.join(BENCH, 'run.mjs'), '--quick', '--only', 'selftest', '--out', out],
      {
        env: { ...process.env, KOA_KIT_BENCH_SCENARIOS: dir },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    assert.equal(run.status, 1, `exit 1 because one scenario failed\n${run.stdout}\n${run.stderr}`);
    const md = readFileSync(out, 'utf8');
    const row = (name) => md.split('\n').find((l) => l.startsWith(`| ${name} |`));
    assert.match(row('selftest text'), /^\| selftest text \| bare koa \| \d+\.\d\d \| >= 0\.01 \| yes \|/);
    assert.match(row('selftest echo'), /^\| selftest echo \| bare koa \| \d+\.\d\d \| >= 1000 \| \*\*no\*\* \|/);
    assert.match(row('selftest 404'), /^\| selftest 404 \| bare koa \| \d+\.\d\d \| — \| — \|/);
    assert.match(row('selftest wrong status'), /\| error \| preflight GET \/none answered 404/);
    assert.match(
      row('selftest upload'),
      /^\| selftest upload \| selftest upload ref \| \d+\.\d\d \| — \| — \| .*peak RSS \d+ MB/,
    );
    assert.match(md, /Goals met: 1 of 2; missed: selftest echo; errors: 1\./);
    // p99 latency beside the reference's, in the notes and in the medians table; the profile link.
    assert.match(
      row('selftest text'),
      /p99 \d+\.\d\d ms vs \d+\.\d\d ms \(\d+\.\d\d x, (within|\*\*over\*\*) 1\/ratio/,
    );
    assert.match(row('bare koa'), /^\| bare koa \| [\d,]+ req\/s \| .* \| \d+\.\d\d ms \|$/);
    assert.ok(md.includes('[benchmarks-profile.md](benchmarks-profile.md)'));
    assert.match(md, /Node v\d+/);
    assert.match(md, /2 rounds x 1 s/);
    // The same table is printed.
    assert.ok(run.stdout.includes(row('selftest text')));
  });
});

describe('ratios', async () => {
  const { median, ratios, roundSchedule, valueAt } = await import('../lib/stats.mjs');

  test('the root reference comes back every 3 members; even rounds run backwards', () => {
    const names = (list) => list.map((m) => m.name).join(' ');
    const g = ['root', 'a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name) => ({ name }));
    assert.equal(names(roundSchedule(g, 0)), 'root a b c root d e f root g');
    assert.equal(names(roundSchedule(g, 1)), 'g root f e d root c b a root');
    assert.equal(names(roundSchedule(g.slice(0, 4), 0)), 'root a b c');
  });

  test('a scenario is divided by its reference interpolated to the same moment, then the median', () => {
    // The machine slows down linearly: the reference goes 100 -> 50 while the scenario is always
    // 0.8 x the reference at its own moment. Comparing medians would say 1.07; the ratio is 0.8.
    const ref = { samples: [0, 10, 20].map((t) => ({ t, v: 100 - 2.5 * t })) };
    const m = { samples: [5, 15, 19].map((t) => ({ t, v: 0.8 * (100 - 2.5 * t) })) };
    assert.deepEqual(
      ratios(m, ref, 'v').map((r) => r.toFixed(6)),
      ['0.800000', '0.800000', '0.800000'],
    );
    assert.equal(valueAt(ref.samples, 25, 'v'), 50, 'past the last measurement: the nearest');
    assert.equal(valueAt(ref.samples, 10, 'v'), 75);
    assert.equal(valueAt([{ t: 1, v: 5, cpu: null }], 1, 'cpu'), null);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
  });
});
