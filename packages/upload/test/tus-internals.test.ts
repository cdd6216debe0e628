import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect, it } from 'vitest';

const require = createRequire(import.meta.url);

/** The installed package's folder (its `exports` hide package.json and dist files from require). */
function packageDir(name: string): string {
  const entry = require.resolve(name);
  const at = entry.lastIndexOf(`${path.sep}node_modules${path.sep}${name.replace('/', path.sep)}${path.sep}`);
  return entry.slice(0, at + `${path.sep}node_modules${path.sep}${name}`.length);
}

/**
 * resumableUpload() relies on @tus/server details that are not public API: the request body it hands
 * over is a web stream that carries no bytes (the store reads Node's request itself, see
 * KitFileStore.writeDirect), PostHandler's check of the misspelled 'concatentation' extension,
 * `namingFunction`, `onUploadCreate` returning `{ metadata }`, and the error objects of @tus/utils
 * (compared by identity). An upgrade must be checked against those, then these versions raised.
 */
const VERIFIED = {
  '@tus/server': '2.4.5',
  '@tus/file-store': '2.1.1',
  '@tus/utils': '0.7.1',
} as const;

it.each(Object.entries(VERIFIED))('%s is the version resumableUpload() was verified against', (name, version) => {
  const manifest = JSON.parse(readFileSync(path.join(packageDir(name), 'package.json'), 'utf8'));
  const installed = (manifest as { version: string }).version;
  expect(
    installed,
    `${name} ${installed} is installed, resumableUpload() was verified against ${version}: re-check the internals listed in test/tus-internals.test.ts`,
  ).toBe(version);
});

it('multer is the version whose early unpipe upload() relies on', () => {
  // upload() answers a refused multipart body at once because multer 2.5.0 unpipes its request
  // when it finishes (src/body-source.ts); test/multipart-refusals.test.ts checks the behaviour.
  const manifest = JSON.parse(readFileSync(require.resolve('multer/package.json'), 'utf8')) as { version: string };
  expect(manifest.version, 'multer changed: re-check test/multipart-refusals.test.ts, then raise this pin').toBe(
    '2.5.0',
  );
});

it('@tus/server still asks the store for the misspelled "concatentation" extension', () => {
  const source = readFileSync(path.join(packageDir('@tus/server'), 'dist', 'handlers', 'PostHandler.js'), 'utf8');
  // KitFileStore answers both spellings; if this changes, drop the misspelled one.
  expect(source).toContain("hasExtension('concatentation')");
});
