import type { Context } from 'koa';

type KoaApp = Context['app'];

const PROBE = '\u0000koa-kit-probe';

/**
 * The symbol Koa's `request.ip` setter stores under, found by setting `ip` on a probe object; null
 * when `ip` does not behave like Koa 3's own accessor here (the app redefined it, or another Koa).
 */
function ipSlotOf(app: KoaApp): symbol | null {
  if (Object.hasOwn(app.request, 'ip') || Object.hasOwn(app.context, 'ip')) return null;
  try {
    const probe = Object.create(app.request) as Record<PropertyKey, unknown>;
    probe.ip = PROBE;
    const own = Object.getOwnPropertySymbols(probe);
    const slot = own.length === 1 && Object.getOwnPropertyNames(probe).length === 0 ? own[0]! : null;
    return slot !== null && probe[slot] === PROBE && probe.ip === PROBE ? slot : null;
  } catch {
    return null;
  }
}

/**
 * Returns a reader of `ctx.ip` that skips Koa's work when `app.proxy` is off. Koa's getter always
 * looks up `X-Forwarded-For` first, proxy or not, which makes Node build `req.headers` for that
 * request: about as much work as the whole count, 3% of a bare Koa request. Without a proxy the
 * answer is the socket's address, or what upstream middleware set with `ctx.request.ip = ...`
 * (kept under Koa's private symbol, found once per app). With `app.proxy` on, or where the probe
 * does not recognise Koa's accessor, `ctx.ip` is read as is.
 */
export function socketIpReader(): (ctx: Context) => string {
  let knownApp: KoaApp | undefined;
  let slot: symbol | null = null;
  return (ctx) => {
    const app = ctx.app;
    if (app.proxy) return ctx.ip;
    if (app !== knownApp) {
      slot = ipSlotOf(app);
      knownApp = app;
    }
    if (slot === null) return ctx.ip;
    const set = (ctx.request as unknown as Record<symbol, string | undefined>)[slot];
    return set || ctx.req.socket.remoteAddress || '';
  };
}
