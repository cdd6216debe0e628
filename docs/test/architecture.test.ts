import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { root } from '../../scripts/docs/sync.mjs';

/**
 * docs/architecture.md against the code: the factories it names are exported by the packages,
 * the `ctx.state` keys it lists are the ones the packages' `DefaultState` augmentations declare
 * (with the same fields), and its composition order is the demo's.
 */
const doc = readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');
const prose = doc.replace(/```[\s\S]*?```/g, '');
const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
const packages = readdirSync(path.join(root, 'packages')).sort();

/** Called in the doc but exported by no koa-kit package, on purpose. */
const FOREIGN = new Set(['allowedMethods']); // @koa/router

const sourceFiles = (dir: string): string[] =>
  (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));

/** `key -> type name` of every `interface DefaultState { key?: Type }` in the packages' sources. */
function declaredState(): Map<string, { type: string; files: string[] }> {
  const keys = new Map<string, { type: string; files: string[] }>();
  const dirs = [...packages.map((p) => path.join(root, 'packages', p, 'src')), path.join(root, 'internal')];
  for (const dir of dirs) {
    const files = sourceFiles(dir).filter((f) => !f.includes('node_modules'));
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const block of text.matchAll(/interface DefaultState \{([\s\S]*?)\n {2}\}/g)) {
        for (const field of block[1]!.matchAll(/^\s+(\w+)\?:\s*([^;]+);/gm)) {
          keys.set(field[1]!, { type: field[2]!, files });
        }
      }
    }
  }
  return keys;
}

/** Field names of `interface <name> { ... }` in one of `files`, or undefined when there is none. */
function fieldsOf(name: string, files: string[]): string[] | undefined {
  for (const file of files) {
    const body = new RegExp(`interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(readFileSync(file, 'utf8'))?.[1];
    if (body !== undefined) return [...body.matchAll(/^ {2}(?:readonly )?(\w+)\??:/gm)].map((m) => m[1]!);
  }
  return undefined;
}

describe('docs/architecture.md matches the code', () => {
  const exportedBy = new Map<string, string[]>();
  beforeAll(async () => {
    for (const name of packages) {
      const api = (await import(path.join(root, 'packages', name, 'src', 'index.ts'))) as Record<string, unknown>;
      for (const key of Object.keys(api)) exportedBy.set(key, [...(exportedBy.get(key) ?? []), `@koa-kit/${name}`]);
    }
  });

  it('every function it calls in backticks (`name(...)`) is exported by a package', () => {
    const called = new Set(spans.flatMap((s) => [...(/^([a-z]\w*)\(/.exec(s) ?? [])].slice(1)));
    expect(called.size).toBeGreaterThan(8);
    expect([...called].filter((name) => !exportedBy.has(name) && !FOREIGN.has(name))).toEqual([]);
  });

  it('"`name` from `@koa-kit/pkg`" names an export of that package', () => {
    const claims = [...prose.matchAll(/`([a-zA-Z]\w*)(?:\([^`]*\))?` from `(@koa-kit\/[\w-]+)`/g)];
    expect(claims.length).toBeGreaterThan(0);
    for (const [, name, pkg] of claims) expect(exportedBy.get(name!) ?? [], `${name} from ${pkg}`).toContain(pkg);
  });

  it('every `@koa-kit/<name>` it mentions is a package', () => {
    const named = new Set([...prose.matchAll(/@koa-kit\/([\w-]+)/g)].map((m) => m[1]!));
    expect([...named].filter((n) => !packages.includes(n))).toEqual([]);
  });

  it('lists exactly the ctx.state keys the packages declare', () => {
    const documented = new Set([...prose.matchAll(/`ctx\.state\.(\w+)`/g)].map((m) => m[1]!));
    expect([...documented].sort()).toEqual([...declaredState().keys()].sort());
  });

  it('says what each ctx.state key holds with the fields of its declared type', () => {
    const state = declaredState();
    let compared = 0;
    for (const row of prose.matchAll(/^\| `ctx\.state\.(\w+)` +\|.*\| ([^|]*)\|$/gm)) {
      const listed = /^`\{ ([\w, ]+) \}`/.exec(row[2]!)?.[1]; // the shape, when the cell starts with one
      const declared = state.get(row[1]!);
      const fields = declared && fieldsOf(declared.type, declared.files);
      if (listed === undefined || fields === undefined) continue;
      expect(listed.split(', ').sort(), `ctx.state.${row[1]}`).toEqual([...fields].sort());
      compared += 1;
    }
    expect(compared).toBeGreaterThanOrEqual(5);
  });

  it("its composition order is the order of the demo's app", () => {
    const order = [...prose.matchAll(/^\| (\d+) +\| `(\w+)\(/gm)].map((m) => m[2]!);
    expect(order.length).toBeGreaterThanOrEqual(8);
    const demo = readFileSync(path.join(root, 'examples', 'demo', 'src', 'app.ts'), 'utf8');
    const firstUse = order.map((name) => demo.search(new RegExp(`\\b${name}\\(`)));
    expect(
      firstUse.every((at) => at >= 0),
      order.join(', '),
    ).toBe(true);
    expect(firstUse, order.join(', ')).toEqual([...firstUse].sort((a, b) => a - b));
  });
});
