import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable, type Writable } from 'node:stream';
import { DRAIN_LIMIT } from './connection.js';

/**
 * What multer parses instead of Node's request: the same headers, no bytes. The body goes from Node's
 * request straight into busboy. multer answers an error only once the request it was given has
 * ended, and reads all of it to get there; this stand-in ends as soon as multer stops feeding its
 * parser, so the answer goes out at once and the rest of the body is dropped or left unread.
 */
export class BodySource extends Readable {
  readonly headers: IncomingHttpHeaders;
  /** Body bytes received so far. */
  received = 0;
  private parser: Writable | undefined;
  private released = false;

  constructor(readonly req: IncomingMessage) {
    super({ read() {} });
    this.headers = req.headers;
    // multer learns from its request that the client went away.
    const gone = (error?: Error) => {
      if (req.complete) return;
      this.destroy(error ?? Object.assign(new Error('Request aborted'), { code: 'ECONNRESET' }));
    };
    req.on('error', gone);
    req.once('close', () => gone());
  }

  /** multer's stream handler: Node's request into busboy, counted. */
  feed(parser: Writable): void {
    this.parser = parser;
    this.req.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
    });
    this.req.pipe(parser);
  }

  /** multer stops feeding its parser when it is done, on success or failure. */
  override unpipe(destination?: NodeJS.WritableStream): this {
    this.release();
    return super.unpipe(destination);
  }

  /** Whether an answer now must close the connection: the unread rest of the body is large or unknown. */
  mustClose(): boolean {
    return !this.req.complete && !this.restIsSmall();
  }

  private restIsSmall(): boolean {
    if (this.headers['transfer-encoding'] !== undefined) return false;
    const declared = Number(this.headers['content-length']);
    return Number.isSafeInteger(declared) && declared - this.received <= DRAIN_LIMIT;
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    if (this.parser) this.req.unpipe(this.parser);
    if (!this.req.complete) {
      // A small rest is read and dropped; a large one stays unread (the socket stops reading once
      // Node's buffer is full) until the answer, sent with `Connection: close`, closes the socket.
      if (this.restIsSmall()) this.req.resume();
      else this.req.pause();
    }
    this.push(null);
  }
}
