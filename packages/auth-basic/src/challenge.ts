import { quote } from '@koa-kit/common';

/** `Basic realm="<realm>", charset="UTF-8"` (RFC 7617 section 2.1). */
export function basicChallenge(realm: string): string {
  return `Basic realm=${quote(realm)}, charset="UTF-8"`;
}
