// Keeps the docs honest: code samples are copies of tested files, and docs/errors.md is built
// from every table under "## Errors" of the package READMEs (parsed by error-tables.mjs).
//   node scripts/docs/sync.mjs          rewrites the docs in place
//   node scripts/docs/sync.mjs --check  exits 1 when a doc is out of date (the docs test runs this logic)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE, errorTables } from './error-tables.mjs';

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
    for (const row of errorTables(readme).rows) {
      const code = CODE.test(row.code) ? `\`${row.code}\`` : row.code;
      lines.push(`| [${name}](../packages/${name}/README.md#errors) | ${code} | ${row.status} | ${row.when} |`);
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
