import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { root } from '../../scripts/docs/sync.mjs';

/**
 * Every file or folder CONTRIBUTING.md names exists: in backticks, in links, and in the first
 * column of its layout blocks. `<name>` stands for every package, so a file every package must
 * have is checked in each of them. A path that is not found from the root is a package's own
 * (`src/index.ts`, `test/exports.test.ts`) and must then exist in every package; `dist/` is build
 * output, not in git.
 */
const text = readFileSync(path.join(root, 'CONTRIBUTING.md'), 'utf8');
const packages = readdirSync(path.join(root, 'packages'));
const BUILD_OUTPUT = /(^|\/)dist\/?$/;

// Files every package should have that two packages lack while other helpers reshape them.
// reshaped in the next round
const KNOWN_MISSING = new Set<string>([]);

/** A repository path: a relative path with a `/`, or a file name with an extension. No commands, globs or packages. */
const looksLikePath = (s: string) =>
  /^\.?[\w.<>-]+(\/[\w.<>-]*)*$/.test(s) && (s.includes('/') || /\.(md|json|ts|mjs|cjs)$/.test(s)) && !/\.{3}/.test(s);

function namedPaths(): Set<string> {
  const named = new Set<string>();
  let layoutRoot = '';
  for (const block of text.matchAll(/```\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const first = /^( *)(\S+)/.exec(line);
      if (!first || !looksLikePath(first[2]!)) continue;
      // An indented entry is inside the last unindented folder (`packages/<name>/` then `  src/index.ts`).
      if (first[1] === '') layoutRoot = first[2]!.endsWith('/') ? first[2]! : '';
      named.add(first[1] === '' ? first[2]! : layoutRoot + first[2]!);
    }
  }
  const prose = text.replace(/```[\s\S]*?```/g, '');
  for (const m of prose.matchAll(/`([^`\s]+)`/g)) if (looksLikePath(m[1]!) && !m[1]!.startsWith('@')) named.add(m[1]!);
  for (const m of prose.matchAll(/\]\(([^)#\s]+)/g)) if (!/^[a-z]+:/.test(m[1]!)) named.add(m[1]!);
  return named;
}

it('finds the paths CONTRIBUTING.md names', () => {
  expect(namedPaths().size).toBeGreaterThan(30);
});

it('every path CONTRIBUTING.md names exists (<name>: in every package)', () => {
  const missing: string[] = [];
  for (const named of namedPaths()) {
    const candidates = named.includes('<name>') ? packages.map((p) => named.replaceAll('<name>', p)) : [named];
    for (const candidate of candidates) {
      if (BUILD_OUTPUT.test(candidate) || existsSync(path.join(root, candidate))) continue;
      // A bare file name (`app.ts`, `scenario.cjs`) is named by its context, not from the root.
      if (!candidate.includes('/') && !named.includes('<')) continue;
      const inPackages = packages.map((p) => `packages/${p}/${candidate}`);
      if (candidate.includes('<') || !inPackages.every((p) => existsSync(path.join(root, p)) || KNOWN_MISSING.has(p))) {
        if (!KNOWN_MISSING.has(candidate)) missing.push(candidate);
      }
    }
  }
  expect(missing).toEqual([]);
});
