import http from 'node:http';
import { handleExpectContinue } from '@koa-kit/upload';
import type Koa from 'koa';

/**
 * The demo's HTTP server. With `handleExpectContinue`, a request sent with `Expect: 100-continue`
 * is answered on its headers alone: an upload without a token gets its 401 and never sends its body.
 */
export function createServer(app: Koa): http.Server {
  const server = http.createServer(app.callback());
  handleExpectContinue(server, app);
  return server;
}
