import { optionError, quote } from '@koa-kit/common';
import createError from 'http-errors';
import type { Context, Middleware, Next } from 'koa';
import type { JwtPayload } from './decode.js';
import { TOKEN_ERRORS } from './errors.js';
import { DEFAULT_REALM, type JwtState, REALM } from './jwt.js';

/** RFC 6749 section 3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const granted = new WeakMap<object, ReadonlySet<string>>();

function grantedScopes(payload: Readonly<JwtPayload>): ReadonlySet<string> {
  let set = granted.get(payload);
  if (set === undefined) {
    const all = new Set<string>();
    for (const claim of [payload.scope, payload.scp]) {
      if (typeof claim === 'string') for (const s of claim.split(' ')) if (s) all.add(s);
      if (Array.isArray(claim)) for (const s of claim) if (typeof s === 'string') all.add(s);
    }
    set = all;
    granted.set(payload, set);
  }
  return set;
}

/**
 * Requires every listed scope in the verified token (`scope` or `scp`, a space-separated string
 * or an array). Without them: 403 INSUFFICIENT_SCOPE with an RFC 6750 `insufficient_scope`
 * challenge; with no verified token at all (e.g. after `jwt({ passthrough: true })`): 401 TOKEN_MISSING.
 */
export function requireScope(...scopes: string[]): Middleware {
  if (scopes.length === 0) throw optionError('requireScope', 'name at least one scope');
  for (const s of scopes) {
    if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) {
      throw optionError('requireScope', `${JSON.stringify(s)} is not a valid scope token`);
    }
  }
  const needed = [...new Set(scopes)];
  const scopeParam = quote(needed.join(' '));
  const byRealm = new Map<string, { missing: string; insufficient: string }>();
  const challengesFor = (realm: string) => {
    let c = byRealm.get(realm);
    if (c === undefined) {
      const base = `Bearer realm=${quote(realm)}`;
      c = {
        missing: base,
        insufficient: `${base}, error="insufficient_scope", error_description="The token lacks a required scope", scope=${scopeParam}`,
      };
      byRealm.set(realm, c);
    }
    return c;
  };

  return async function requireScope(ctx: Context, next: Next): Promise<void> {
    const state = ctx.state.jwt as JwtState | undefined;
    if (state === undefined) {
      const realm = (ctx as unknown as Record<symbol, string | undefined>)[REALM] ?? DEFAULT_REALM;
      throw createError(401, TOKEN_ERRORS.TOKEN_MISSING, {
        code: 'TOKEN_MISSING',
        headers: { 'WWW-Authenticate': challengesFor(realm).missing },
      });
    }
    const have = grantedScopes(state.payload);
    for (const s of needed) {
      if (!have.has(s)) {
        const realm = (state as unknown as Record<symbol, string | undefined>)[REALM] ?? DEFAULT_REALM;
        throw createError(403, 'The token lacks a required scope', {
          code: 'INSUFFICIENT_SCOPE',
          headers: { 'WWW-Authenticate': challengesFor(realm).insufficient },
        });
      }
    }
    await next();
  };
}
