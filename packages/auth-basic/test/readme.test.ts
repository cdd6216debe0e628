import { readFileSync } from 'node:fs';
import { BasicAuthErrorCode } from '@koa-kit/auth-basic';
import { expect, it } from 'vitest';

const read = (p: string) => readFileSync(new URL(p, import.meta.url), 'utf8');
const readme = read('../README.md');
const section = (title: string) => readme.split(`\n## ${title}\n`)[1]?.split('\n## ')[0] ?? '';
const firstColumn = (md: string) => [...md.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]);

it('documents every option of BasicAuthOptions in the Options table, and nothing else', () => {
  const source = read('../src/basic-auth.ts');
  const body = source.split('export interface BasicAuthOptions')[1]?.split('\n}')[0] ?? '';
  const declared = [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]);
  expect(declared).toHaveLength(4);
  expect(firstColumn(section('Options')).sort()).toEqual(declared.sort());
});

it('documents every error code in the Errors table', () => {
  expect(firstColumn(section('Errors')).sort()).toEqual(Object.values(BasicAuthErrorCode).sort());
});

it('has a complete app in its Usage, as TypeScript (docs/test/samples.test.ts compiles and runs it)', () => {
  const sample = /```ts\n([\s\S]*?)```/.exec(section('Usage'))?.[1] ?? '';
  expect(sample).toContain("from '@koa-kit/auth-basic'");
  expect(sample).toContain('.listen(');
});
