import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { root } from '../../scripts/docs/sync.mjs';

/** A package README is read in one sitting: about 1,200 words, never more than this. */
const MAX_WORDS = 1300;
/**
 * Words: what whitespace separates and holds a letter or a digit, code and tables included. A
 * table's `|` and `---` and a lone `—` are not words (`wc -w` counts them).
 */
const words = (text: string) => text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;

// reshaped in the next round: their helpers are changing these READMEs in this one.
const NEXT_ROUND = new Set<string>([]);

for (const name of readdirSync(path.join(root, 'packages')).sort()) {
  const count = words(readFileSync(path.join(root, 'packages', name, 'README.md'), 'utf8'));
  it.skipIf(NEXT_ROUND.has(name) && count > MAX_WORDS)(`packages/${name}/README.md is under ${MAX_WORDS} words`, () => {
    expect(count).toBeLessThan(MAX_WORDS);
  });
}
