import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { tempDir } from '@koa-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { PositionalWriter } from '../src/positional-writer.js';

const OVER = { status_code: 413, body: 'too large' };
let dir: Awaited<ReturnType<typeof tempDir>>;
afterEach(async () => dir?.remove());

async function fileWith(content: string) {
  dir = await tempDir();
  const file = path.join(dir.path, 'upload');
  writeFileSync(file, content);
  return file;
}

describe('PositionalWriter (the tus PATCH body into the file)', () => {
  it('writes every chunk at its offset, counts and hashes them', async () => {
    const file = await fileWith('0123');
    const hash = createHash('sha256');
    const writer = new PositionalWriter(file, 4, 1000, OVER, hash);
    const chunks = ['abc', 'defg', 'h'].map((s) => Buffer.from(s));
    await pipeline(Readable.from(chunks), writer);
    expect(readFileSync(file, 'utf8')).toBe('0123abcdefgh');
    expect(writer.written).toBe(8);
    expect(hash.digest('hex')).toBe(createHash('sha256').update('abcdefgh').digest('hex'));
  });

  it('fails with the given error before a byte past the limit, after writing the chunks that fit', async () => {
    const file = await fileWith('');
    const writer = new PositionalWriter(file, 0, 5, OVER);
    // corked: the three chunks reach _writev as one batch, the third does not fit
    writer.cork();
    for (const s of ['ab', 'cd', 'ef']) writer.write(Buffer.from(s));
    writer.uncork();
    writer.end();
    await expect(finished(writer)).rejects.toBe(OVER);
    expect(readFileSync(file, 'utf8')).toBe('abcd');
    expect(writer.written).toBe(4);
    expect(writer.destroyed).toBe(true);
  });

  it('a single chunk over the limit writes nothing', async () => {
    const file = await fileWith('keep');
    const writer = new PositionalWriter(file, 4, 3, OVER);
    await expect(pipeline(Readable.from([Buffer.from('toolong')]), writer)).rejects.toBe(OVER);
    expect(readFileSync(file, 'utf8')).toBe('keep');
  });

  it('a missing file is an error, not a crash', async () => {
    dir = await tempDir();
    const writer = new PositionalWriter(path.join(dir.path, 'nope'), 0, 10, OVER);
    await expect(pipeline(Readable.from([Buffer.from('x')]), writer)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
