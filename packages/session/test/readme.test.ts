import { readFileSync } from 'node:fs';
import { SESSION_ERROR_CODES } from '@koa-kit/session';
import { expect, it } from 'vitest';

const read = (p: string) => readFileSync(new URL(p, import.meta.url), 'utf8');
const readme = read('../README.md');
const section = (title: string) => readme.split(`\n## ${title}\n`)[1]?.split('\n## ')[0] ?? '';
/** The rows of the table that follows `intro` in `md` (after blank lines, up to the first line that is not a row). */
const tableAfter = (md: string, intro: string) => {
  const lines = (md.split(intro)[1] ?? '').split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
};
/** Every `name` in the first cell of each table row (a row may document several options). */
const firstColumn = (md: string) =>
  [...md.matchAll(/^\| (`[^|]+)\|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([^`]+)`/g)].map((n) => n[1]));
/** The members of `export interface <name> {` in a source file. */
const declared = (file: string, name: string) => {
  const body = read(file).split(`export interface ${name} {`)[1]?.split('\n}')[0] ?? '';
  return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]);
};

it('documents every option of SessionOptions in the session() table, and nothing else', () => {
  const names = declared('../src/options.ts', 'SessionOptions');
  expect(names.length).toBeGreaterThan(15);
  expect(firstColumn(tableAfter(section('Options'), '`session(options?)`:')).sort()).toEqual(names.sort());
});

it('documents every option of MemoryStoreOptions and RedisStoreOptions in their tables', () => {
  const memory = declared('../src/memory-store.ts', 'MemoryStoreOptions');
  expect(firstColumn(tableAfter(section('Options'), '`memoryStore(options?)`')).sort()).toEqual(memory.sort());
  const redis = declared('../src/redis-store.ts', 'RedisStoreOptions');
  expect(redis).toContain('client');
  expect(firstColumn(tableAfter(section('Options'), '`redisStore(options)`')).sort()).toEqual(redis.sort());
});

it('documents every error code in the Errors table, each once', () => {
  const rows = firstColumn(section('Errors'));
  expect(rows.sort()).toEqual(Object.values(SESSION_ERROR_CODES).sort());
});

it('has a complete app in its Usage, as TypeScript (docs/test/samples.test.ts compiles and runs it)', () => {
  const sample = /```ts\n([\s\S]*?)```/.exec(section('Usage'))?.[1] ?? '';
  expect(sample).toContain("from '@koa-kit/session'");
  expect(sample).toContain('session(');
  expect(sample).toContain('regenerate()');
  expect(sample).toContain('.listen(');
});

it('migrates from koa-session option by option, and says what happens to existing data', () => {
  const section_ = section('Migrating from koa-session');
  const options = firstColumn(tableAfter(section_, 'Options:'));
  // every koa-session 7 option, and this package's own refusals
  const koaSession = ['key', 'maxAge', 'maxage', 'autoCommit', 'overwrite', 'httpOnly', 'signed', 'rolling', 'renew'];
  koaSession.push('secure', 'sameSite', 'store', 'ContextStore', 'externalKey', 'encode', 'decode', 'genid');
  koaSession.push('prefix', 'valid', 'beforeSave');
  expect(options.sort()).toEqual(koaSession.sort());
  for (const event of ['session:missed', 'session:expired', 'session:invalid']) expect(section_).toContain(event);
  expect(section_).toContain('**Existing cookies**');
  expect(section_).toMatch(/old string entry reads as a missing session/);
});

it('links the design notes, the changelog and the figures', () => {
  expect(readme).toContain('](../../docs/session.md)');
  expect(readme).toContain('](CHANGELOG.md)');
  expect(readme).toContain('](../../docs/benchmarks.md)');
});
