import type { ReadStream } from 'node:fs';
import type { Context } from 'koa';

/**
 * A file that shrinks while it is being sent would leave the client waiting for bytes promised by
 * Content-Length. When the stream ends short, drop the connection (the client sees a cut transfer,
 * never a silently wrong file) and emit the error on the app.
 */
export function guardLength(stream: ReadStream, expected: number, ctx: Context): void {
  stream.once('end', () => {
    if (stream.bytesRead >= expected) return;
    const err = Object.assign(
      new Error(`file ended after ${stream.bytesRead} of ${expected} bytes (it changed while being sent)`),
      { code: 'FILE_TRUNCATED', status: 500, expose: false },
    );
    ctx.res.destroy();
    ctx.app.emit('error', err, ctx);
  });
}
