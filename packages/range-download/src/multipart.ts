import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { truncatedError } from './file-stream.js';
import type { ByteRange } from './parse-range.js';

export interface Multipart {
  contentType: string;
  length: number;
  heads: Buffer[];
  tail: Buffer;
}

/** Part headers and total length of a `multipart/byteranges` body (RFC 9110 14.6). */
export function multipartLayout(ranges: ByteRange[], size: number, partType: string | undefined): Multipart {
  const boundary = randomBytes(12).toString('hex');
  const typeLine = partType ? `Content-Type: ${partType}\r\n` : '';
  const heads = ranges.map((r) =>
    Buffer.from(`\r\n--${boundary}\r\n${typeLine}Content-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`, 'latin1'),
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  let length = tail.length;
  for (let i = 0; i < ranges.length; i++) length += heads[i]!.length + ranges[i]!.end - ranges[i]!.start + 1;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, heads, tail };
}

/** The whole multipart body of an in-memory representation. */
export function multipartBuffer(layout: Multipart, ranges: ByteRange[], body: Buffer): Buffer {
  const chunks: Buffer[] = [];
  ranges.forEach((r, i) => {
    chunks.push(layout.heads[i]!, body.subarray(r.start, r.end + 1));
  });
  chunks.push(layout.tail);
  return Buffer.concat(chunks, layout.length);
}

/** The multipart body of a file (ranges counted from `offset`), reading only their bytes, one after the other. */
export function multipartFile(
  layout: Multipart,
  ranges: ByteRange[],
  path: string | Buffer,
  offset: number,
  highWaterMark: number,
): Readable {
  async function* parts(): AsyncGenerator<Buffer> {
    for (let i = 0; i < ranges.length; i++) {
      const { start, end } = ranges[i]!;
      yield layout.heads[i]!;
      let read = 0;
      for await (const chunk of createReadStream(path, { start: offset + start, end: offset + end, highWaterMark })) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (read < end - start + 1) throw truncatedError(read, end - start + 1);
    }
    yield layout.tail;
  }
  return Readable.from(parts(), { objectMode: false });
}
