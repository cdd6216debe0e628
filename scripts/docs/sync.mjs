// Keeps the docs honest: code samples are copies of tested files, and docs/errors.md is built
// from the Errors tables of the package READMEs.
//   node scripts/docs/sync.mjs          rewrites the docs in place
//   node scripts/docs/sync.mjs --check  exits 1 when a doc is out of date (the docs test runs this logic)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INCLUDE = /(<!-- include: (\S+) -->\n)```(\w*)\n[\s\S]*?```/g;

/** Replaces the fenced block after every `<!-- include: path -->` marker with that file's text. */
export function withIncludes(markdown) {
  return markdown.replace(INCLUDE, (_, marker, file, lang) => {
    const text = readFileSync(path.join(root, file), 'utf8').trimEnd();
    return `${marker}\`\`\`${lang}\n${text}\n\`\`\``;
  });
}

const packages = () =>
  readdirSync(path.join(root, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

/** The rows of the first table under "## Errors" in a package README. */
export function errorRows(readme) {
  const section = readme.split(/^## Errors\s*$/m)[1]?.split(/^## /m)[0] ?? '';
  const lines = section.split('\n').filter((l) => l.trim().startsWith('|'));
  const [header, , ...rows] = lines;
  if (!header) return [];
  const cells = (line) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  const names = cells(header).map((h) => h.toLowerCase());
  const at = (want) => names.findIndex((n) => want.some((w) => n.includes(w)));
  const codeAt = at(['code']);
  const statusAt = at(['status']);
  const whenAt = at(['when', 'meaning', 'description', 'why']);
  return rows
    .map(cells)
    .filter((c) => c[codeAt] && /`[A-Z0-9_]+`/.test(c[codeAt]))
    .map((c) => ({ code: c[codeAt], status: c[statusAt] ?? '', when: c[whenAt] ?? '' }));
}

export function errorsDoc() {
  const lines = [
    '# Error codes of every package',
    '',
    'Every refusal of every koa-kit package is an `HttpError` with a stable `code`. This table is',
    "built from the packages' READMEs (`node scripts/docs/sync.mjs`); a test fails when it is stale.",
    'The README of each package says more: the headers sent with each error, and when exactly.',
    '',
    '| package | code | status | when |',
    '| --- | --- | --- | --- |',
  ];
  for (const name of packages()) {
    let readme;
    try {
      readme = readFileSync(path.join(root, 'packages', name, 'README.md'), 'utf8');
    } catch {
      continue;
    }
    for (const row of errorRows(readme)) {
      lines.push(`| [${name}](../packages/${name}/README.md#errors) | ${row.code} | ${row.status} | ${row.when} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Every doc this script owns, with the text it should have. */
export function expectedDocs() {
  const docs = new Map();
  for (const file of readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md'))) {
    const full = path.join(root, 'docs', file);
    docs.set(full, withIncludes(readFileSync(full, 'utf8')));
  }
  docs.set(path.join(root, 'docs', 'errors.md'), errorsDoc());
  return docs;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, text] of expectedDocs()) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {}
    if (current === text) continue;
    stale += 1;
    if (check) console.error(`out of date: ${path.relative(root, file)}`);
    else writeFileSync(file, text);
  }
  if (check && stale) process.exit(1);
}
