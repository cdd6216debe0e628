import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it, vi } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { root } from '../../scripts/docs/sync.mjs';

/**
 * Every TypeScript code block (```ts or ```typescript) of every package README and of docs/*.md,
 * compiled as its own module, the way a strict user project would: `strict`,
 * `exactOptionalPropertyTypes` and `noUncheckedIndexedAccess`, NodeNext, `@koa-kit/*` resolved
 * to the package sources. A README sample that does not compile fails here. A sample that is a
 * complete app (it calls `.listen(`) is then run: it must start listening and answer a request
 * without a 5xx.
 */
interface Sample {
  file: string;
  line: number;
  code: string;
}

function typescriptSamples(): Sample[] {
  const files = readdirSync(path.join(root, 'packages')).map((p) => path.join(root, 'packages', p, 'README.md'));
  for (const f of readdirSync(path.join(root, 'docs'))) if (f.endsWith('.md')) files.push(path.join(root, 'docs', f));
  const samples: Sample[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
      const start = i + 1;
      while (i + 1 < lines.length && !lines[i + 1]!.startsWith('```')) i++;
      samples.push({ file: path.relative(root, file), line: start + 1, code: lines.slice(start, i + 1).join('\n') });
      i++;
    }
  }
  return samples;
}

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  types: ['node'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  baseUrl: root,
  paths: {
    '@koa-kit/testing': ['internal/testing/src/index.ts'],
    '@koa-kit/*': ['packages/*/src/index.ts'],
  },
};

// Parsed once for all samples: the libraries and the package sources do not change between them.
const cache = new Map<string, ts.SourceFile | undefined>();
const baseHost = ts.createCompilerHost(options);

// The rest of the user's app: koa and every package are in the program, as where a sample that
// only augments a module (`declare module 'koa' { ... }`) would live.
const preludeName = path.join(root, 'docs', 'test', 'samples', '_app.ts');
const prelude = ['koa', ...readdirSync(path.join(root, 'packages')).map((p) => `@koa-kit/${p}`)]
  .map((m) => `import '${m}';`)
  .join('\n');

/** The diagnostics of one sample, compiled as `docs/test/samples/<name>.ts` (an ES module). */
function compile(sample: Sample): string[] {
  const fileName = path.join(root, 'docs', 'test', 'samples', `${sample.file.replace(/\W+/g, '-')}-${sample.line}.ts`);
  const virtual = new Map([
    [fileName, sample.code],
    [preludeName, prelude],
  ]);
  const host: ts.CompilerHost = {
    ...baseHost,
    fileExists: (f) => virtual.has(f) || baseHost.fileExists(f),
    readFile: (f) => virtual.get(f) ?? baseHost.readFile(f),
    getSourceFile(f, languageVersion) {
      const text = virtual.get(f);
      if (text !== undefined) return ts.createSourceFile(f, text, languageVersion, true);
      if (!cache.has(f)) cache.set(f, baseHost.getSourceFile(f, languageVersion));
      return cache.get(f);
    },
  };
  const program = ts.createProgram([preludeName, fileName], options, host);
  const source = program.getSourceFile(fileName);
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
    const { line } = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: -1 };
    return `${sample.file}:${sample.line + line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('TypeScript samples in the READMEs and docs', () => {
  const samples = typescriptSamples();

  it('finds the samples', () => {
    expect(samples.length).toBeGreaterThan(0);
  });

  for (const sample of samples) {
    it(`${sample.file}:${sample.line} compiles under strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess`, () => {
      expect(compile(sample)).toEqual([]);
    }, 60_000);
  }

  const apps = samples.filter((s) => /\.listen\(/.test(s.code));
  const runDir = path.join(root, 'docs', 'test', '.samples-run');
  afterAll(() => rmSync(runDir, { recursive: true, force: true }));

  it('finds complete apps among the samples', () => {
    expect(apps.length).toBeGreaterThan(0);
  });

  for (const sample of apps) {
    it(`${sample.file}:${sample.line} runs: it listens and answers GET / without a 5xx`, async () => {
      mkdirSync(runDir, { recursive: true });
      const file = path.join(runDir, `${sample.file.replace(/\W+/g, '-')}-${sample.line}.ts`);
      writeFileSync(file, sample.code);
      // The sample's fixed port becomes an ephemeral one on loopback; everything else runs as written.
      const servers: Server[] = [];
      const listen = Server.prototype.listen;
      const spy = vi.spyOn(Server.prototype, 'listen').mockImplementation(function (this: Server, ...args: unknown[]) {
        servers.push(this);
        const callback = args.find((a) => typeof a === 'function') as (() => void) | undefined;
        return listen.call(this, { port: 0, host: '127.0.0.1' }, callback);
      });
      try {
        await import(file);
        expect(servers).toHaveLength(1);
        const server = servers[0]!;
        if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
        const { port } = server.address() as AddressInfo;
        const res = await fetch(`http://127.0.0.1:${port}/`);
        await res.arrayBuffer();
        expect(res.status).toBeLessThan(500);
      } finally {
        spy.mockRestore();
        await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      }
    }, 60_000);
  }
});
