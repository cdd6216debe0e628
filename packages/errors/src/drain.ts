import type { Context } from 'koa';

/**
 * After an error response, the request body the handler did not read still sits on the socket:
 * until it is consumed, a keep-alive connection cannot parse the client's next request (a parser
 * that read part of the body and then paused leaves it stuck for good). So read and discard up to
 * `limit` bytes; a body declared or found to be larger closes the connection instead.
 */
export function settleRequestBody(ctx: Context, limit: number): void {
  const req = ctx.req;
  if (req.complete || req.readableEnded || req.destroyed) return;
  const declared = req.headers['content-length'];
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) return; // no body
  if (declared !== undefined && Number(declared) > limit) {
    closeAfterResponse(ctx);
    return;
  }
  req.unpipe(); // a parser the handler gave up on gets no more of it
  let read = 0;
  const onData = (chunk: Buffer) => {
    read += chunk.length;
    if (read <= limit) return;
    stop();
    req.pause();
    closeAfterResponse(ctx);
  };
  const stop = () => {
    req.removeListener('data', onData);
    req.removeListener('end', stop);
    req.removeListener('error', stop);
    req.removeListener('close', stop);
  };
  req.on('data', onData);
  req.once('end', stop);
  req.once('error', stop);
  req.once('close', stop);
  req.resume();
}

/** `Connection: close` when the headers are still ours to set; the socket ends once the response is out. */
function closeAfterResponse(ctx: Context): void {
  const res = ctx.res;
  const socket = ctx.req.socket;
  if (!res.headersSent) {
    res.setHeader('Connection', 'close');
    res.shouldKeepAlive = false;
  }
  if (res.writableFinished) socket.end();
  else res.once('finish', () => socket.end());
}
