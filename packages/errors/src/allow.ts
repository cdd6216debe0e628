import type { Context } from 'koa';

const METHOD = /^[A-Z][A-Z-]{0,31}$/;

/**
 * The `Allow` value for a 405/501 thrown by @koa/router's `allowedMethods({ throw: true })`, which
 * builds its error without arguments and so cannot put `Allow` on it: the methods of the routes the
 * router matched for this path (`ctx.matched`), or undefined when there is nothing to say or when
 * a route of this method matched (the error is then the route's own, not the router's).
 */
export function deriveAllow(ctx: Context): string | undefined {
  const matched = (ctx as unknown as { matched?: unknown }).matched;
  if (!Array.isArray(matched)) return undefined;
  const methods = new Set<string>();
  for (const layer of matched) {
    const list = (layer as { methods?: unknown } | null)?.methods;
    if (!Array.isArray(list)) continue;
    for (const method of list) if (typeof method === 'string' && METHOD.test(method)) methods.add(method);
  }
  // a route that matched this very method threw the 405/501 itself: the router's list would name
  // the refused method, so nothing is derived (the route's error must carry its own Allow)
  if (methods.has(ctx.method)) return undefined;
  return methods.size > 0 ? [...methods].join(', ') : undefined;
}
