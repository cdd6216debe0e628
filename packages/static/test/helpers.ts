import http from 'node:http';

import { type RawResponse, rawRequest } from '@koa-kit/testing';

export { type RawResponse, rawRequest };

/** Starts the app on port 0, sends one raw request, closes: bytes exactly as sent (no decompression). */
export async function fetchRaw(
  app: { callback(): http.RequestListener },
  target: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await rawRequest(`http://127.0.0.1:${port}`, target, options);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
