import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { optionError } from '@koa-kit/common';

// Symbol.for, so the ESM and CommonJS builds of this package agree on the marker.
const PENDING = Symbol.for('@koa-kit/upload.expect-continue');

interface PendingContinue {
  res: ServerResponse;
  keepAlive: boolean;
  sent: boolean;
}

type Marked = IncomingMessage & { [PENDING]?: PendingContinue; _read: (size: number) => void };

/** Anything with `callback()` returning a Node request listener: a Koa app. */
export interface CallbackApp {
  callback(): RequestListener;
}

/**
 * Lets the middleware chain answer a request that carries `Expect: 100-continue` before the client
 * sends its body. Without this, Node writes `100 Continue` as soon as the headers arrive, so a client
 * sends a whole 50 MB body only to be refused. With it, the app runs on the headers alone: a refusal
 * (413 by `Content-Length`, 401 without credentials) is sent instead, the connection is closed and the
 * body never travels. `100 Continue` is written when `upload()` (or anything else) starts reading.
 */
export function handleExpectContinue(server: Server, app: CallbackApp | RequestListener): void {
  if (server === null || typeof server !== 'object' || typeof server.on !== 'function') {
    throw optionError('handleExpectContinue', '"server" must be a node:http Server');
  }
  let listener: RequestListener;
  if (typeof app === 'function') listener = app;
  else if (app !== null && typeof app === 'object' && typeof app.callback === 'function') listener = app.callback();
  else throw optionError('handleExpectContinue', '"app" must be a Koa app or a request listener');

  server.on('checkContinue', function checkContinue(req: IncomingMessage, res: ServerResponse) {
    const marked = req as Marked;
    marked[PENDING] = { res, keepAlive: res.shouldKeepAlive, sent: false };
    // If the app answers without reading the body, the client has not sent it: close the connection
    // after the response rather than wait for a body that will never come.
    res.shouldKeepAlive = false;
    // Any reader (upload(), a body parser, a pipe) asks the stream for data through _read: that is
    // the moment the client must be told to go on.
    const read = marked._read;
    marked._read = function readAfterContinue(this: Marked, size: number) {
      this._read = read;
      sendContinue(this);
      return read.call(this, size);
    };
    listener(req, res);
  });
}

/** Writes `100 Continue` if the request is waiting for it and no response has started. */
export function sendContinue(req: IncomingMessage): void {
  const pending = (req as Marked)[PENDING];
  if (!pending || pending.sent) return;
  pending.sent = true;
  const { res } = pending;
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  res.shouldKeepAlive = pending.keepAlive;
  res.writeContinue();
}
