import { readFileSync } from 'node:fs';
import { ResumableUploadErrorCode, UploadErrorCode } from '@koa-kit/upload';
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

it('documents every option of UploadOptions in the upload() table, and nothing else', () => {
  const names = declared('../src/multipart.ts', 'UploadOptions');
  expect(names.length).toBeGreaterThan(10);
  expect(firstColumn(tableAfter(section('Options'), '`upload(options?)`:')).sort()).toEqual(names.sort());
});

it('names every limit of UploadLimits in the `limits` row', () => {
  const row = /^\| `limits` \|(.*)$/m.exec(section('Options'))?.[1] ?? '';
  const type = row.split('|')[0] ?? '';
  const limits = declared('../src/multipart.ts', 'UploadLimits');
  expect(limits.length).toBe(8);
  expect([...type.matchAll(/\w+/g)].map((m) => m[0]).sort()).toEqual(limits.sort());
});

it('documents every option of ResumableUploadOptions in the resumableUpload() table, and nothing else', () => {
  const names = declared('../src/tus.ts', 'ResumableUploadOptions');
  expect(names.length).toBeGreaterThan(15);
  expect(firstColumn(tableAfter(section('Options'), '`resumableUpload(options)`:')).sort()).toEqual(names.sort());
});

it('documents every option of RedisLockerOptions in "Several instances: redisLocker"', () => {
  const names = declared('../src/redis-locker.ts', 'RedisLockerOptions');
  expect(firstColumn(section('Several instances: redisLocker')).sort()).toEqual(names.sort());
});

it('documents every error code of both factories in the Errors table, each once', () => {
  const codes = new Set([...Object.values(UploadErrorCode), ...Object.values(ResumableUploadErrorCode)]);
  const rows = firstColumn(section('Errors'));
  expect(rows.sort()).toEqual([...codes].sort());
});

it('points several instances at redisLocker(), in the locker option and in Security', () => {
  expect(/^\| `locker` \|.*`redisLocker\(\)`.*docs\/scaling\.md/m.test(section('Options'))).toBe(true);
  const bullet = section('Security')
    .split('\n- ')
    .find((b) => b.startsWith('**Several processes or machines**'));
  expect(bullet).toContain('redisLocker(');
  expect(bullet).toContain('docs/scaling.md');
});

it('has a complete app in its Usage, as TypeScript (docs/test/samples.test.ts compiles and runs it)', () => {
  const sample = /```ts\n([\s\S]*?)```/.exec(section('Usage'))?.[1] ?? '';
  expect(sample).toContain("from '@koa-kit/upload'");
  expect(sample).toContain('upload(');
  expect(sample).toContain('resumableUpload(');
  expect(sample).toContain('.listen(');
});

it('migrates from @koa/multer and @tus/server option by option', () => {
  const tus = firstColumn(section('Migrating from @tus/server'));
  for (const option of ['datastore', 'namingFunction', 'onIncomingRequest', 'onResponseError', 'locker']) {
    expect(tus).toContain(option);
  }
  const multer = firstColumn(section('Migrating from @koa/multer'));
  for (const option of ['dest', 'limits', 'preservePath', 'memoryStorage()']) expect(multer).toContain(option);
});
