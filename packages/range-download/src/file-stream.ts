import { createReadStream, type ReadStream } from 'node:fs';
import type { Context } from 'koa';

export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** The error a file stream ends with when the file shrank while being sent. */
export function truncatedError(read: number, expected: number): Error {
  return Object.assign(new Error(`file ended after ${read} of ${expected} bytes (it changed while being sent)`), {
    code: 'FILE_TRUNCATED',
    status: 500,
    expose: false,
  });
}

/**
 * Opens `[start, end]` of a file. If the file ends early the client must not wait for bytes
 * promised by Content-Length: the connection is dropped and the error emitted on the app.
 */
export function openRange(
  ctx: Context,
  path: string | Buffer,
  start: number,
  end: number,
  highWaterMark: number,
): ReadStream {
  const stream = createReadStream(path, { start, end, highWaterMark });
  const expected = end - start + 1;
  stream.once('end', () => {
    if (stream.bytesRead >= expected) return;
    ctx.res.destroy();
    ctx.app.emit('error', truncatedError(stream.bytesRead, expected), ctx);
  });
  return stream;
}
