import { type RawResponse, rawRequest } from '@koa-kit/testing';

export { type RawResponse, rawRequest };

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits a multipart/byteranges body by its boundary (binary safe). */
export function parseMultipart(body: Buffer, contentType: string): { parts: Part[]; closed: boolean } {
  const m = /boundary=([^;]+)/.exec(contentType);
  if (!m) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`\r\n--${m[1]}`, 'latin1');
  const parts: Part[] = [];
  let pos = body.indexOf(delimiter);
  if (pos !== 0) throw new Error('body does not start with the delimiter');
  let closed = false;
  while (pos !== -1) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') {
      closed = body.subarray(pos + 2).toString('latin1') === '\r\n';
      break;
    }
    const headEnd = body.indexOf('\r\n\r\n', pos);
    const headerText = body.subarray(pos + 2, headEnd).toString('latin1');
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = body.indexOf(delimiter, headEnd + 4);
    parts.push({ headers, body: body.subarray(headEnd + 4, next) });
    pos = next;
  }
  return { parts, closed };
}
