import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const read = (p: string) => readFileSync(new URL(p, import.meta.url), 'utf8');
const readme = read('../README.md');
const section = (title: string) => readme.split(`\n## ${title}\n`)[1]?.split('\n## ')[0] ?? '';
/** Every `name` in the first cell of each table row. */
const firstColumn = (md: string) =>
  [...md.matchAll(/^\| (`[^|]+)\|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([^`]+)`/g)].map((n) => n[1]));
/** The option names of `export interface <name> {` in a source file. */
const declared = (file: string, name: string) => {
  const body = read(file).split(`export interface ${name} {`)[1]?.split('\n}')[0] ?? '';
  return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]);
};

it('documents every option of ServeStaticOptions in the Options table, and nothing else', () => {
  const options = declared('../src/options.ts', 'ServeStaticOptions');
  expect(options.length).toBeGreaterThan(15);
  expect(firstColumn(section('Options')).sort()).toEqual(options.sort());
});

// It needs an existing folder, so it is compiled (docs/test/samples.test.ts) but not run.
it('has a Koa app in its Usage, as TypeScript (docs/test/samples.test.ts compiles it)', () => {
  const sample = /```ts\n([\s\S]*?)```/.exec(section('Usage'))?.[1] ?? '';
  expect(sample).toContain("from '@koa-kit/static'");
  expect(sample).toContain('new Koa()');
});
