import { readFileSync } from 'node:fs';
import { SERVER_ERRORS, TOKEN_ERRORS } from '@koa-kit/jwt';
import { expect, it } from 'vitest';

const read = (p: string) => readFileSync(new URL(p, import.meta.url), 'utf8');
const readme = read('../README.md');
const section = (title: string) => readme.split(`\n## ${title}\n`)[1]?.split('\n## ')[0] ?? '';
/** Every `name` in the first cell of each table row (a row may document several options). */
const firstColumn = (md: string) =>
  [...md.matchAll(/^\| (`[^|]+)\|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([^`]+)`/g)].map((n) => n[1]));

it('documents every option of JwtOptions in the Options table, and nothing else', () => {
  const source = read('../src/jwt.ts');
  const body = source.split('export interface JwtOptions {')[1]?.split('\n}')[0] ?? '';
  const declared = [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]);
  expect(declared.length).toBeGreaterThan(10);
  expect(firstColumn(section('Options')).sort()).toEqual(declared.sort());
});

it('documents every error code in the Errors table', () => {
  const codes = [...Object.keys(TOKEN_ERRORS), 'INSUFFICIENT_SCOPE', ...Object.keys(SERVER_ERRORS)];
  expect(firstColumn(section('Errors')).sort()).toEqual(codes.sort());
});

it('has a complete app in its Usage, as TypeScript (docs/test/samples.test.ts compiles and runs it)', () => {
  const sample = /```ts\n([\s\S]*?)```/.exec(section('Usage'))?.[1] ?? '';
  expect(sample).toContain("from '@koa-kit/jwt'");
  expect(sample).toContain('.listen(');
});

it('shows in docs/jwt.md the login flow that test/login-flow.test.ts runs', () => {
  const lines = (code: string) =>
    code
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  const tested = read('./login-flow.test.ts')
    .split('// --- README: Usage, the login flow ---')[1]
    ?.split('// --- end ---')[0];
  const doc = read('../../../docs/jwt.md').split('## The login flow')[1] ?? '';
  const shown = /```ts\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  // The doc adds `?? ''` for noUncheckedIndexedAccess, which docs/test/samples.test.ts compiles with.
  const fromApp = shown.slice(shown.indexOf('const app = new Koa();')).replace("scopes[name] ?? ''", 'scopes[name]');
  expect(lines(tested ?? '')).toHaveLength(lines(fromApp).length);
  expect(lines(fromApp)).toEqual(lines(tested ?? ''));
});
