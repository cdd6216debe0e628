import { readFileSync } from 'node:fs';
import { SERVER_ERRORS, TOKEN_ERRORS } from '@koa-kit/jwt';
import { expect, it } from 'vitest';

const read = (p: string) => readFileSync(new URL(p, import.meta.url), 'utf8');
const readme = read('../README.md');
const section = (title: string) => readme.split(`\n## ${title}\n`)[1]?.split('\n## ')[0] ?? '';
const firstColumn = (md: string) => [...md.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]);

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
