// The Errors section of a package README, parsed: every table under "## Errors" (up to the next
// "## " heading) must have the columns code | status | headers | when, one `CODE` and one status per
// row. sync.mjs builds docs/errors.md from these rows; docs/test/error-tables.test.ts rejects a
// malformed one and a code thrown in src/ that no table lists.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const CODE = /^[A-Z][A-Z0-9_]+$/;
export const STATUS = /^[1-5]\d\d$/;
const COLUMNS = ['code', 'status', 'headers', 'when'];

const cells = (line) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

/** The text between "## Errors" and the next second-level heading, with its first line number. */
function errorsSection(readme) {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => /^## Errors\s*$/.test(l));
  if (start === -1) return { lines: [], first: 0 };
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end === -1) end = lines.length;
  return { lines: lines.slice(start + 1, end), first: start + 2 };
}

/**
 * Every table of the Errors section: `{ rows, problems }`. A row is `{ code, status, headers, when,
 * line }` with the cells as written (code and status without backticks); `problems` says what is
 * malformed, by line number.
 */
export function errorTables(readme) {
  const { lines, first } = errorsSection(readme);
  const rows = [];
  const problems = [];
  let tables = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim().startsWith('|')) continue;
    const at = first + i;
    const header = cells(lines[i]).map((h) => h.toLowerCase());
    tables += 1;
    if (header.join('|') !== COLUMNS.join('|')) {
      problems.push(`line ${at}: header is "${header.join(' | ')}", want "${COLUMNS.join(' | ')}"`);
    }
    if (!/^\|(\s*:?-+:?\s*\|)+$/.test(lines[i + 1]?.trim() ?? '')) problems.push(`line ${at + 1}: no separator row`);
    i += 2;
    for (; i < lines.length && lines[i].trim().startsWith('|'); i++) {
      const line = first + i;
      const row = cells(lines[i]);
      if (row.length !== COLUMNS.length) problems.push(`line ${line}: ${row.length} cells, want ${COLUMNS.length}`);
      const code = /^`([^`]*)`$/.exec(row[0] ?? '')?.[1] ?? row[0] ?? '';
      if (!CODE.test(code)) problems.push(`line ${line}: code "${row[0]}" is not one \`UPPER_CASE\` code`);
      const status = row[1] ?? '';
      if (!STATUS.test(status)) problems.push(`line ${line}: status "${status}" is not a 3-digit number`);
      rows.push({ code, status, headers: row[2] ?? '', when: row[3] ?? '', line });
    }
  }
  if (tables === 0) problems.push('no table under "## Errors"');
  return { rows, problems };
}

/** Source text with comments removed (a code named in a comment is not a code thrown). */
const withoutComments = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

/**
 * The error codes a package's src/ declares, found the ways the packages declare them:
 * `code: 'X'` / `code = 'X'` (createError props, an error class's field), the values of an
 * `…ErrorCode = { … }` or `…_ERROR_CODES = { … }` object, the keys of an `…_ERRORS = { KEY: 'message' }`
 * object, and the members of a
 * `type …Refusal = 'X' | 'Y'` union.
 */
export function sourceCodes(srcDir) {
  const codes = new Set();
  const files = readdirSync(srcDir, { recursive: true }).filter((f) => String(f).endsWith('.ts'));
  for (const file of files) {
    const text = withoutComments(readFileSync(path.join(srcDir, String(file)), 'utf8'));
    // An underscore sets the kit's codes apart from Node's system codes (`{ code: 'ECONNRESET' }`).
    for (const m of text.matchAll(/\bcode\s*[:=]\s*['"]([A-Z][A-Z0-9]*_[A-Z0-9_]+)['"]/g)) codes.add(m[1]);
    for (const m of text.matchAll(/\b\w*(?:ErrorCodes?|_ERROR_CODES)\s*=\s*\{([^}]*)\}/g)) {
      for (const v of m[1].matchAll(/:\s*['"]([A-Z][A-Z0-9_]+)['"]/g)) codes.add(v[1]);
    }
    for (const m of text.matchAll(/\b\w*_ERRORS\s*=\s*\{([^}]*)\}/g)) {
      for (const k of m[1].matchAll(/^\s*['"]?([A-Z][A-Z0-9_]+)['"]?\s*:\s*['"]/gm)) codes.add(k[1]);
    }
    for (const m of text.matchAll(/\btype\s+\w*Refusal\s*=\s*([^;]+);/g)) {
      for (const v of m[1].matchAll(/['"]([A-Z][A-Z0-9_]+)['"]/g)) codes.add(v[1]);
    }
  }
  return codes;
}
