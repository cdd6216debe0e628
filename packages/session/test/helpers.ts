import { type AppErrors, collectAppErrors } from '@koa-kit/testing';
import Koa from 'koa';

export const KEYS = ['k1-0123456789abcdef0123456789abcdef', 'k0-fedcba9876543210fedcba9876543210'];

export interface SetCookie {
  name: string;
  value: string;
  attrs: Record<string, string | true>;
}

/** Parses every Set-Cookie header of a response. */
export function setCookies(headers: Record<string, unknown>): SetCookie[] {
  const raw = headers['set-cookie'];
  const list = Array.isArray(raw) ? (raw as string[]) : raw ? [String(raw)] : [];
  return list.map((line) => {
    const [pair = '', ...rest] = line.split(';');
    const eq = pair.indexOf('=');
    const attrs: Record<string, string | true> = {};
    for (const part of rest) {
      const [k = '', v] = part.trim().split('=');
      attrs[k.toLowerCase()] = v ?? true;
    }
    return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1), attrs };
  });
}

/** The one Set-Cookie for `name`, failing when there is none or several. */
export function sessionCookie(headers: Record<string, unknown>, name = 'koa.sess'): SetCookie {
  const found = setCookies(headers).filter((c) => c.name === name);
  if (found.length !== 1) throw new Error(`expected one Set-Cookie for ${name}, got ${found.length}`);
  return found[0]!;
}

/**
 * An app with the usual routes: /login sets the user (after regenerate), /me reads it,
 * /count increments, /logout clears the session.
 */
export function makeApp(
  middleware: Koa.Middleware,
  keys: string[] | null = KEYS,
): { app: Koa; errors: AppErrors; hits: { downstream: number } } {
  const app = new Koa();
  if (keys) app.keys = keys;
  const errors = collectAppErrors(app);
  const hits = { downstream: 0 };
  app.use(middleware);
  app.use(async (ctx) => {
    hits.downstream++;
    const s = ctx.session!;
    switch (ctx.path) {
      case '/login':
        await s.regenerate();
        ctx.session!.user = String(ctx.query.user ?? 'alice');
        ctx.body = { id: ctx.session!.externalKey ?? null };
        break;
      case '/me':
        ctx.body = { user: s.user ?? null, isNew: s.isNew, id: s.externalKey ?? null };
        break;
      case '/count':
        s.count = (typeof s.count === 'number' ? s.count : 0) + 1;
        ctx.body = { count: s.count };
        break;
      case '/set':
        s.blob = String(ctx.query.blob ?? '');
        ctx.body = { ok: true };
        break;
      case '/logout':
        ctx.session = null;
        ctx.body = { ok: true };
        break;
      case '/cycle': {
        const a: Record<string, unknown> = {};
        a.self = a;
        s.cycle = a;
        ctx.body = { ok: true };
        break;
      }
      default:
        ctx.body = 'hello';
    }
  });
  return { app, errors, hits };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
