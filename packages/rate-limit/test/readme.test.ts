import { readFileSync } from 'node:fs';
import * as api from '@koa-kit/rate-limit';
import { describe, expect, it } from 'vitest';
import { KNOWN_OPTIONS } from '../src/options.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}\n`);
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('public surface', () => {
  it('exports exactly rateLimit at run time', () => {
    expect(Object.keys(api).sort()).toEqual(['rateLimit']);
  });

  it('documents every option in the README table, and nothing else', () => {
    const rows = section('Options')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => /^\| `([A-Za-z0-9]+)`/.exec(line)?.[1]);
    expect(rows.sort()).toEqual([...KNOWN_OPTIONS].sort());
  });

  it('documents every error code the package throws or emits', () => {
    const errors = section('Errors');
    for (const code of ['RATE_LIMITED', 'CLIENT_DENIED', 'RATE_LIMIT_UNAVAILABLE', 'RATE_LIMIT_STORE_ERROR']) {
      expect(errors).toContain(`\`${code}\``);
    }
  });

  it('has a complete app in its Usage, as TypeScript (docs/test/samples.test.ts compiles and runs it)', () => {
    const sample = /```ts\n([\s\S]*?)```/.exec(section('Usage'))?.[1] ?? '';
    expect(sample).toContain("from '@koa-kit/rate-limit'");
    expect(sample).toContain('.listen(');
  });
});
