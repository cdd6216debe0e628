import { isPlainObject, optionError } from '@koa-kit/common';
import jsonwebtoken, { type SignOptions as LibSignOptions } from 'jsonwebtoken';
import type { JwtPayload } from './decode.js';
import { type Algorithm, isAlgorithm, type KeyMaterial, KeyMemo, keyProblem } from './keys.js';

/** Lifetime of a token from `sign()` when neither `expiresIn` nor an `exp` claim is given: 15 minutes. */
export const DEFAULT_EXPIRES_IN = 15 * 60;

/** Options of `sign()`. `algorithm` is required. */
export interface SignOptions {
  algorithm: Algorithm;
  /** Seconds (number) or a timespan string such as `"2h"`. Default 900 (15 minutes). */
  expiresIn?: number | string;
  /** Seconds (number) or a timespan string from now before which the token is not valid. */
  notBefore?: number | string;
  audience?: string | string[];
  issuer?: string;
  subject?: string;
  jwtid?: string;
  /** Sets the `kid` header, for key rotation. */
  keyid?: string;
  /** Leave out `iat`. Default false. */
  noTimestamp?: boolean;
}

const memo = new KeyMemo('sign');
const PASSED = ['notBefore', 'audience', 'issuer', 'subject', 'jwtid', 'keyid', 'noTimestamp'] as const;

/**
 * Signs a claims set with the same safe defaults as `jwt()`: the algorithm is required (never
 * `none`), the key is turned into a KeyObject and must fit the algorithm (a PEM never becomes an
 * HMAC secret; HMAC secrets of at least the hash size; RSA of at least 2048 bits), and tokens
 * expire after 15 minutes unless told otherwise. Returns the compact JWS.
 */
export function sign(payload: JwtPayload, key: KeyMaterial, options: SignOptions): string {
  if (!isPlainObject(payload)) throw optionError('sign', 'payload must be a plain object of claims');
  if (!isPlainObject(options)) throw optionError('sign', 'options with an "algorithm" are required');
  const { algorithm } = options;
  if (!isAlgorithm(algorithm)) {
    throw optionError(
      'sign',
      `"algorithm" option is required and must be one of HS256..ES512 (got ${JSON.stringify(algorithm)}; never "none")`,
    );
  }
  let keyObject: ReturnType<KeyMemo['get']>;
  try {
    keyObject = memo.get(key);
  } catch (err) {
    throw optionError('sign', `key: ${(err as Error).message}`);
  }
  const problem = keyProblem(keyObject, algorithm);
  if (problem) throw optionError('sign', `key: ${problem.reason}`);

  const libOptions: LibSignOptions = { algorithm };
  for (const name of PASSED) {
    if (options[name] !== undefined) (libOptions as Record<string, unknown>)[name] = options[name];
  }
  if (options.expiresIn !== undefined) libOptions.expiresIn = options.expiresIn as LibSignOptions['expiresIn'];
  else if (payload.exp === undefined) libOptions.expiresIn = DEFAULT_EXPIRES_IN;
  return jsonwebtoken.sign(payload, keyObject, libOptions);
}
