#!/usr/bin/env node
// `node scripts/check-packages/release-dry-run.mjs`: the release, rehearsed in a throw-away clone.
//
// Clones the repository's HEAD into a temp folder (plus the changesets of the working tree), runs
// `changeset version` there, and checks that every package named by a changeset got the version
// its bumps call for and a CHANGELOG.md entry with each changeset's text; then builds each bumped
// package and runs `npm publish --dry-run` on it (what `changeset publish` would upload). Nothing
// in the repository changes and nothing is published. Exits 1 on any mismatch.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, tail } from './lib/exec.mjs';
import { table } from './lib/table.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUMPS = ['patch', 'minor', 'major'];

function readChangesets(dir) {
  const sets = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.md') && x !== 'README.md')) {
    const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(readFileSync(join(dir, f), 'utf8'));
    if (!m) continue;
    const bumps = {};
    for (const line of m[1].split('\n')) {
      const b = /^\s*["']?([^"':]+)["']?\s*:\s*(patch|minor|major)\s*$/.exec(line);
      if (b) bumps[b[1]] = b[2];
    }
    sets.push({ file: f, bumps, summary: m[2].trim() });
  }
  return sets;
}

function bumped(version, bump) {
  const [major, minor, patch] = version.split('.').map(Number);
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'koa-kit-release-'));
  const clone = join(work, 'repo');
  try {
    const c = await exec('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
    if (c.code !== 0) throw new Error(`git clone failed\n${tail(c)}`);
    cpSync(join(root, '.changeset'), join(clone, '.changeset'), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'));

    const changesets = readChangesets(join(clone, '.changeset'));
    if (changesets.length === 0) {
      console.log('release:dry-run: no changesets, nothing would be released');
      return;
    }
    const pkgFile = (folder) => join(clone, 'packages', folder, 'package.json');
    const folders = readdirSync(join(clone, 'packages')).filter((f) => existsSync(pkgFile(f)));
    const before = Object.fromEntries(folders.map((f) => [f, JSON.parse(readFileSync(pkgFile(f), 'utf8'))]));
    const expected = {};
    for (const set of changesets)
      for (const [name, bump] of Object.entries(set.bumps)) {
        const prev = expected[name]?.bump;
        if (!prev || BUMPS.indexOf(bump) > BUMPS.indexOf(prev)) expected[name] = { bump };
      }

    const v = await exec(process.execPath, [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], {
      cwd: clone,
      timeout: 120_000,
    });
    if (v.code !== 0) throw new Error(`changeset version failed\n${tail(v)}`);

    const rows = [];
    let failures = 0;
    for (const folder of folders) {
      const { name, version: from } = before[folder];
      const to = JSON.parse(readFileSync(pkgFile(folder), 'utf8')).version;
      const want = expected[name] ? bumped(from, expected[name].bump) : from;
      const problems = [];
      if (to !== want) problems.push(`version ${to}, expected ${want}`);
      let changelog = '-';
      let publish = '-';
      if (expected[name]) {
        const log = join(clone, 'packages', folder, 'CHANGELOG.md');
        const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
        const mine = changesets.filter((s) => s.bumps[name]);
        const missing = mine.filter((s) => !text.includes(s.summary.split('\n')[0].slice(0, 60)));
        changelog = text.includes(`## ${want}`) && missing.length === 0 ? 'ok' : 'FAIL';
        if (changelog === 'FAIL')
          problems.push(`CHANGELOG.md lacks "## ${want}" or ${missing.map((s) => s.file).join(', ')}`);
        const b = await exec('npm', ['run', 'build', '-w', name], { cwd: clone, timeout: 180_000 });
        const p =
          b.code === 0
            ? await exec('npm', ['publish', '--dry-run', '--json', '-w', name], { cwd: clone, timeout: 120_000 })
            : b;
        let packed;
        try {
          const json = JSON.parse(p.stdout.slice(p.stdout.indexOf('{')));
          packed = json[name] ?? json;
        } catch {}
        const files = packed?.files?.map((f) => f.path) ?? [];
        publish =
          p.code === 0 && packed?.version === want && files.includes('CHANGELOG.md')
            ? `ok ${(packed.size / 1024).toFixed(1)} kB`
            : 'FAIL';
        if (publish === 'FAIL') problems.push(`npm publish --dry-run: ${tail(p, 15)}`);
      }
      if (problems.length) failures++;
      rows.push([name, from, to, expected[name]?.bump ?? '-', changelog, publish, problems.join('; ')]);
    }
    console.log(table(['package', 'from', 'to', 'bump', 'changelog', 'publish --dry-run', 'problems'], rows));
    console.log(
      failures
        ? `\nrelease:dry-run: ${failures} package(s) would not release as the changesets say`
        : `\nrelease:dry-run: ${Object.keys(expected).length} package(s) would be released as the changesets say`,
    );
    process.exitCode = failures ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`release:dry-run: ${err.message}`);
  process.exitCode = 2;
});
