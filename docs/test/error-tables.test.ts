import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { errorTables, sourceCodes } from '../../scripts/docs/error-tables.mjs';
// @ts-expect-error: a plain .mjs script without declarations
import { root } from '../../scripts/docs/sync.mjs';

interface Parsed {
  rows: { code: string; status: string }[];
  problems: string[];
}

const packages = readdirSync(path.join(root, 'packages')).sort();
const parse = (name: string): Parsed =>
  errorTables(readFileSync(path.join(root, 'packages', name, 'README.md'), 'utf8'));

// Problems known today in READMEs another helper is changing; anything else found there fails.
// reshaped in the next round
const KNOWN: Record<string, string[]> = {};

describe('the Errors tables of the package READMEs', () => {
  it('the parser rejects a malformed row', () => {
    const table = (row: string) =>
      `# x\n\n## Errors\n\n| code | status | headers | when |\n| --- | --- | --- | --- |\n${row}\n\n## State\n`;
    expect(errorTables(table('| `OK_CODE` | 404 | — | fine |')).problems).toEqual([]);
    expect(errorTables(table('| `OK_CODE` | 404 | fine |')).problems).toEqual(['line 7: 3 cells, want 4']);
    expect(errorTables(table('| A sentence, not a code | 404 | — | x |')).problems[0]).toMatch(/is not one/);
    expect(errorTables(table('| `lower_case` | 404 | — | x |')).problems[0]).toMatch(/is not one/);
    expect(errorTables(table('| `OK_CODE` | 401 (407 for proxy) | — | x |')).problems[0]).toMatch(/3-digit/);
    expect(errorTables('## Errors\n\n| Thrown | status | shown |\n| - | - | - |\n').problems[0]).toMatch(/header/);
    expect(errorTables('## Errors\n\nno table\n').problems).toEqual(['no table under "## Errors"']);
  });

  for (const name of packages) {
    it(`${name}: every row of every Errors table is | \`CODE\` | 3-digit status | headers | when |`, () => {
      const known = KNOWN[name] ?? [];
      const unknown = parse(name).problems.filter((p) => !known.includes(p.replace(/^line \d+: /, '')));
      expect(unknown).toEqual([]);
    });

    it(`${name}: every error code declared in src/ is a row of its README's Errors table`, () => {
      const documented = new Set(parse(name).rows.map((r) => r.code));
      const declared = [...(sourceCodes(path.join(root, 'packages', name, 'src')) as Set<string>)];
      expect(declared.length, 'no code found in src/: has the way codes are declared changed?').toBeGreaterThan(0);
      const known = KNOWN[name] ?? [];
      expect(declared.filter((code) => !documented.has(code) && !known.includes(code))).toEqual([]);
    });
  }
});
