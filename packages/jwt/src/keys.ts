import { createPrivateKey, createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import type { Jwk } from './jwk.js';

/** The algorithms jsonwebtoken 9 implements. `none` is deliberately absent. */
export const ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
const SUPPORTED: ReadonlySet<string> = new Set(ALGORITHMS);

/** Key material accepted wherever a key is expected: an HMAC secret, a PEM, a JWK or a KeyObject. */
export type KeyMaterial = string | Buffer | Uint8Array | KeyObject | Jwk;

/** RFC 7518 section 3.2: an HMAC key at least as long as the hash output. */
const MIN_HMAC_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
/** RSA keys below 2048 bits are refused (RFC 7518 section 3.3). */
const MIN_RSA_BITS = 2048;
const EC_CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && SUPPORTED.has(value);
}

function isPem(material: string | Uint8Array): boolean {
  const text = typeof material === 'string' ? material : Buffer.from(material).subarray(0, 4096).toString('latin1');
  return text.includes('-----BEGIN ');
}

function isJwk(material: unknown): material is Jwk {
  return material !== null && typeof material === 'object' && typeof (material as Jwk).kty === 'string';
}

/**
 * Turns key material into a KeyObject once, by what the material is and never by what a token
 * claims: a PEM (or an asymmetric JWK) is always an asymmetric key and can never become an HMAC
 * secret, so an HS256 token cannot be checked against an RSA public key's text. For `verify` a
 * private key becomes its public half; for `sign` it must be a private (or secret) key.
 * Throws a TypeError with a short reason.
 */
export function toKeyObject(material: unknown, use: 'verify' | 'sign'): KeyObject {
  if (material instanceof KeyObject) {
    if (material.type === 'private' && use === 'verify') return createPublicKey(material);
    if (material.type === 'public' && use === 'sign') throw new TypeError('a public key cannot sign');
    return material;
  }
  if (typeof material === 'string' || material instanceof Uint8Array) {
    if (material.length === 0) throw new TypeError('the key is empty');
    if (isPem(material)) {
      const input = typeof material === 'string' ? material : Buffer.from(material);
      try {
        return use === 'verify' ? createPublicKey(input) : createPrivateKey(input);
      } catch {
        throw new TypeError(
          use === 'verify'
            ? 'the PEM is not a readable public key, certificate or private key'
            : 'the PEM is not a readable private key',
        );
      }
    }
    return createSecretKey(typeof material === 'string' ? Buffer.from(material, 'utf8') : Buffer.from(material));
  }
  if (isJwk(material)) {
    if (material.kty === 'oct') {
      if (typeof material.k !== 'string') throw new TypeError('an "oct" JWK needs "k"');
      return createSecretKey(Buffer.from(material.k, 'base64url'));
    }
    try {
      return use === 'verify'
        ? createPublicKey({ key: { ...material }, format: 'jwk' })
        : createPrivateKey({ key: { ...material }, format: 'jwk' });
    } catch {
      throw new TypeError(`the JWK is not a readable ${use === 'verify' ? 'public' : 'private'} key`);
    }
  }
  throw new TypeError('a key must be a string, Buffer, KeyObject or JWK');
}

/** Why `key` cannot be used with `alg`: the wrong kind of key, or the right kind but too weak. */
export interface KeyProblem {
  weak: boolean;
  reason: string;
}

const mismatch = (reason: string): KeyProblem => ({ weak: false, reason });
const weak = (reason: string): KeyProblem => ({ weak: true, reason });

/** Why `key` cannot be used with `alg`, or undefined when it can. */
export function keyProblem(key: KeyObject, alg: Algorithm): KeyProblem | undefined {
  const family = alg.slice(0, 2);
  if (family === 'HS') {
    if (key.type !== 'secret') return mismatch(`${alg} needs a secret key, not a ${key.type} key`);
    const min = MIN_HMAC_BYTES[alg] ?? 32;
    if ((key.symmetricKeySize ?? 0) < min) return weak(`${alg} needs a secret of at least ${min} bytes (RFC 7518)`);
    return undefined;
  }
  if (key.type === 'secret') return mismatch(`${alg} needs an asymmetric key, not a secret`);
  const type = key.asymmetricKeyType;
  if (family === 'RS' || family === 'PS') {
    if (type !== 'rsa' && !(family === 'PS' && type === 'rsa-pss'))
      return mismatch(`${alg} needs an RSA key, not ${type}`);
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return weak(`${alg} needs an RSA key of at least ${MIN_RSA_BITS} bits`);
    return undefined;
  }
  if (type !== 'ec') return mismatch(`${alg} needs an EC key, not ${type}`);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve !== EC_CURVES[alg]) return mismatch(`${alg} needs an EC key on ${EC_CURVES[alg]}, not ${curve}`);
  return undefined;
}

/**
 * Remembers conversions of key material (strings by value, objects by identity) so that a key
 * resolver or `sign()` can hand over the same PEM or secret on every call at no cost.
 */
export class KeyMemo {
  readonly #strings = new Map<string, KeyObject>();
  readonly #objects = new WeakMap<object, KeyObject>();
  constructor(
    readonly use: 'verify' | 'sign',
    readonly maxStrings = 64,
  ) {}

  get(material: unknown): KeyObject {
    if (
      material instanceof KeyObject &&
      (material.type === 'secret' || (this.use === 'verify') === (material.type === 'public'))
    ) {
      return material;
    }
    if (typeof material === 'string') {
      let key = this.#strings.get(material);
      if (key === undefined) {
        key = toKeyObject(material, this.use);
        if (this.#strings.size >= this.maxStrings) this.#strings.delete(this.#strings.keys().next().value as string);
        this.#strings.set(material, key);
      }
      return key;
    }
    if (material !== null && typeof material === 'object') {
      let key = this.#objects.get(material);
      if (key === undefined) {
        key = toKeyObject(material, this.use);
        this.#objects.set(material, key);
      }
      return key;
    }
    return toKeyObject(material, this.use);
  }
}
