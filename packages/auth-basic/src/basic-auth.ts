import { isPlainObject, isPrintableAscii, optionError } from '@koa-kit/common';
import createError, { type HttpError } from 'http-errors';
import type { Context, KoaKitUser, Middleware, Next } from 'koa';
import { basicChallenge } from './challenge.js';
import { parseBasic } from './parse.js';
import { type UserTable, userTable } from './users.js';

/** Realm sent in the challenge when none is given. */
export const DEFAULT_REALM = 'Restricted';

/** The principal `basicAuth` puts on `ctx.state.user` when it checks a `users` table. */
export interface BasicAuthUser {
  name: string;
}

/** Options of `basicAuth()`. Give exactly one of `users` and `validate`. */
export interface BasicAuthOptions<U extends object = BasicAuthUser> {
  /** `{ name: password }`, compared in constant time. */
  users?: Record<string, string>;
  /**
   * Checks credentials yourself: resolve to the user object (it becomes `ctx.state.user`), `true`
   * (the user becomes `{ name }`), or `false`/`null`/`undefined` to refuse.
   */
  validate?: (
    name: string,
    password: string,
    ctx: Context,
  ) => U | boolean | null | undefined | Promise<U | boolean | null | undefined>;
  /** Realm of the challenge, printable ASCII. Default `"Restricted"`. */
  realm?: string;
  /** Speak the proxy variant: `Proxy-Authorization` in, 407 and `Proxy-Authenticate` out. Default `false`. */
  proxy?: boolean;
}

/** Error codes `basicAuth` throws with. */
export const BasicAuthErrorCode = {
  missing: 'CREDENTIALS_MISSING',
  malformed: 'CREDENTIALS_MALFORMED',
  invalid: 'CREDENTIALS_INVALID',
  validateFailed: 'AUTH_VALIDATE_FAILED',
} as const;

const MESSAGES = {
  CREDENTIALS_MISSING: 'Authentication required',
  CREDENTIALS_MALFORMED: 'Malformed credentials',
  CREDENTIALS_INVALID: 'Invalid credentials',
} as const;

function checkUsers(users: unknown): Record<string, string> {
  if (!isPlainObject(users)) throw optionError('basicAuth', '"users" option must be an object of { name: password }');
  // No prototype: an own "__proto__" entry stays a user instead of silently setting a prototype.
  const copy: Record<string, string> = Object.create(null);
  for (const [name, password] of Object.entries(users)) {
    if (typeof password !== 'string')
      throw optionError('basicAuth', `"users" option: the password of "${name}" must be a string`);
    if (name.includes(':'))
      throw optionError('basicAuth', `"users" option: the user name "${name}" must not contain ":" (RFC 7617)`);
    copy[name] = password;
  }
  if (Object.keys(copy).length === 0) throw optionError('basicAuth', '"users" option must name at least one user');
  return copy;
}

/**
 * HTTP Basic authentication (RFC 7617). Refuses with 401 + `WWW-Authenticate` (or 407 +
 * `Proxy-Authenticate` with `proxy: true`) and sets `ctx.state.user` on success.
 */
export function basicAuth<U extends object = BasicAuthUser>(options: BasicAuthOptions<U>): Middleware {
  if (!isPlainObject(options)) throw optionError('basicAuth', 'options must be an object');
  const { users, validate, realm = DEFAULT_REALM, proxy = false } = options;
  if (typeof realm !== 'string' || !isPrintableAscii(realm)) {
    throw optionError('basicAuth', '"realm" option must be a string of printable ASCII characters');
  }
  if (typeof proxy !== 'boolean') throw optionError('basicAuth', '"proxy" option must be a boolean');
  if (users !== undefined && validate !== undefined) {
    throw optionError('basicAuth', '"users" and "validate" options cannot be used together');
  }
  let table: UserTable | undefined;
  if (users !== undefined) table = userTable(checkUsers(users));
  else if (typeof validate !== 'function') {
    throw optionError('basicAuth', '"users" or "validate" option is required ("validate" must be a function)');
  }

  const status = proxy ? 407 : 401;
  const requestHeader = proxy ? 'proxy-authorization' : 'authorization';
  const challengeHeader = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  const challenge = basicChallenge(realm);

  const refuse = (code: keyof typeof MESSAGES): HttpError =>
    createError(status, MESSAGES[code], { code, headers: { [challengeHeader]: challenge } });

  return async function basicAuth(ctx: Context, next: Next): Promise<void> {
    const parsed = parseBasic(ctx.request.headers[requestHeader] as string | undefined);
    if (parsed.kind === 'missing') throw refuse('CREDENTIALS_MISSING');
    if (parsed.kind === 'malformed') throw refuse('CREDENTIALS_MALFORMED');
    const { name, password } = parsed;
    let user: object;
    if (table !== undefined) {
      if (!table(name, password)) throw refuse('CREDENTIALS_INVALID');
      user = { name };
    } else {
      let result: U | boolean | null | undefined;
      try {
        result = await (validate as NonNullable<BasicAuthOptions<U>['validate']>)(name, password, ctx);
      } catch (cause) {
        if (createError.isHttpError(cause)) throw cause;
        throw createError(500, 'Credential validation failed', {
          code: BasicAuthErrorCode.validateFailed,
          expose: false,
          cause,
        });
      }
      if (result === true) user = { name };
      else if (result !== null && typeof result === 'object') user = result;
      else throw refuse('CREDENTIALS_INVALID');
    }
    ctx.state.user = user as KoaKitUser;
    await next();
  };
}
