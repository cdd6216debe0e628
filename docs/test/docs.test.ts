import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { expectedDocs, root } from '../../scripts/docs/sync.mjs';

/** Every Markdown file a reader may land on. */
function markdownFiles(): string[] {
  const files = ['README.md', 'CONTRIBUTING.md'].map((f) => path.join(root, f)).filter((f) => existsSync(f));
  for (const dir of ['docs', 'bench']) {
    for (const f of readdirSync(path.join(root, dir))) if (f.endsWith('.md')) files.push(path.join(root, dir, f));
  }
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(path.join(root, group))) {
      const readme = path.join(root, group, name, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  return files;
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces to `-`. */
function anchors(markdown: string): Set<string> {
  const slugs = new Set<string>();
  for (const m of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} +(.+)$/gm)) {
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let slug = base;
    for (let n = 1; slugs.has(slug); n++) slug = `${base}-${n}`;
    slugs.add(slug);
  }
  return slugs;
}

describe('docs', () => {
  it('code samples and the error table are up to date (node scripts/docs/sync.mjs fixes them)', () => {
    for (const [file, text] of expectedDocs() as Map<string, string>) {
      expect(readFileSync(file, 'utf8'), path.relative(root, file)).toBe(text);
    }
  });

  it('every relative link to a heading (`file.md#anchor`, `#anchor`) names a heading of that file', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const match of text.matchAll(/\]\(([^)\s]*#[^)\s]+)\)/g)) {
        const [target, anchor] = match[1]!.split('#') as [string, string];
        if (/^[a-z]+:/i.test(target) || (target !== '' && !target.endsWith('.md'))) continue;
        const linked = target === '' ? file : path.resolve(path.dirname(file), decodeURI(target));
        if (existsSync(linked) && !anchors(readFileSync(linked, 'utf8')).has(anchor)) {
          broken.push(`${path.relative(root, file)} -> ${match[1]}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('every relative link points at a file that exists', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
        const resolved = path.resolve(path.dirname(file), decodeURI(target.split('#')[0]!));
        if (!existsSync(resolved)) broken.push(`${path.relative(root, file)} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
