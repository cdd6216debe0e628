import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import Keygrip from 'keygrip';
import { notSerializable, tooLarge } from './errors.js';
import { Lru } from './lru.js';

/** A signing key: a string or the bytes of one. */
export type SessionKey = string | Buffer;

/** Browsers keep a cookie only while its name plus value stay within 4096 bytes (RFC 6265bis §5.7). */
export const MAX_COOKIE_BYTES = 4096;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'koa-kit/session';
const HKDF_INFO = 'aes-256-gcm session cookie';

/**
 * Characters of a cookie value's end used as its cache key: the end of the HMAC (or of the GCM tag,
 * or of a random id), so it spreads well and a lookup hashes 24 characters, not the whole cookie.
 * A hit counts only when the whole value is equal.
 */
const CACHE_KEY_CHARS = 24;

function cacheKey(value: string): string {
  return value.length > CACHE_KEY_CHARS ? value.slice(-CACHE_KEY_CHARS) : value;
}

/** What a verified cookie value decodes to, cached by the exact cookie value. */
export interface Verified {
  /** Decrypted JSON (cookie sessions) or the session id (store sessions). */
  text: string;
  /** Verified with a key other than the first: the response must re-sign (and re-encrypt) it. */
  stale: boolean;
  /** Cookie sessions: what cookie-session.ts derives from `text` once per cookie value. */
  loaded?: unknown;
}

interface Cached extends Verified {
  value: string;
}

/**
 * Signing (Keygrip, sha256, inline `<payload>.<signature>`) and AES-256-GCM encryption of
 * cookie values, with a bounded cache of values already verified, so a returning visitor costs a
 * map lookup and a JSON.parse rather than two HMACs and a decryption.
 */
export class Codec {
  readonly #name: string;
  readonly #signed: boolean;
  readonly #grip: Keygrip;
  readonly #aesKeys: Buffer[];
  readonly #aad: Buffer;
  readonly #cache: Lru<Cached>;

  constructor(name: string, keys: readonly SessionKey[], signed: boolean, cacheSize: number) {
    this.#name = name;
    this.#signed = signed;
    this.#grip = new Keygrip(keys as string[], 'sha256');
    this.#aesKeys = keys.map((key) => Buffer.from(hkdfSync('sha256', key, HKDF_SALT, HKDF_INFO, 32)));
    this.#aad = Buffer.from(name);
    this.#cache = new Lru(cacheSize);
  }

  /** Cookie value for a store session id. */
  signId(id: string): string {
    const value = this.#signed ? `${id}.${this.#grip.sign(`${this.#name}=${id}`)}` : id;
    this.#remember(value, { text: id, stale: false });
    return value;
  }

  /** The session id in a cookie value, or undefined when the signature does not verify. */
  verifyId(value: string): Verified | undefined {
    const hit = this.#lookup(value);
    if (hit !== undefined) return hit;
    if (!this.#signed) return { text: value, stale: false };
    const split = this.#verify(value);
    if (split === undefined) return undefined;
    const verified = { text: split.body, stale: split.index > 0 };
    this.#remember(value, verified);
    return verified;
  }

  /** Encrypts, signs and size-checks session data for the cookie. */
  encode = (data: Record<string, unknown>): string => {
    let json: string;
    try {
      json = JSON.stringify(data);
    } catch (err) {
      throw notSerializable(err);
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#aesKeys[0]!, iv);
    cipher.setAAD(this.#aad);
    const body = Buffer.concat([iv, cipher.update(json, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString(
      'base64url',
    );
    const value = this.#signed ? `${body}.${this.#grip.sign(`${this.#name}=${body}`)}` : body;
    const size = this.#name.length + value.length;
    if (size > MAX_COOKIE_BYTES) throw tooLarge(size, MAX_COOKIE_BYTES);
    this.#remember(value, { text: json, stale: false });
    return value;
  };

  /**
   * The verified, decrypted entry of a cookie value (cached), or undefined for anything tampered,
   * truncated or foreign: never throws. An entry with `stale` verified with an old key, so the
   * response must re-seal it with the first key.
   */
  read(value: string): Verified | undefined {
    let verified: Verified | undefined = this.#lookup(value);
    if (verified === undefined) {
      verified = this.#open(value);
      if (verified === undefined) return undefined;
      this.#remember(value, verified);
    }
    return verified;
  }

  #lookup(value: string): Cached | undefined {
    const hit = this.#cache.get(cacheKey(value));
    return hit !== undefined && hit.value === value ? hit : undefined;
  }

  #remember(value: string, verified: Verified): void {
    const cached = verified as Cached;
    cached.value = value;
    this.#cache.set(cacheKey(value), cached);
  }

  #verify(value: string): { body: string; index: number } | undefined {
    const dot = value.lastIndexOf('.');
    if (dot <= 0 || dot === value.length - 1) return undefined;
    const body = value.slice(0, dot);
    const index = this.#grip.index(`${this.#name}=${body}`, value.slice(dot + 1));
    return index < 0 ? undefined : { body, index };
  }

  #open(value: string): Verified | undefined {
    let body = value;
    let candidates: readonly number[] = this.#aesKeys.map((_, i) => i);
    if (this.#signed) {
      const split = this.#verify(value);
      if (split === undefined) return undefined;
      body = split.body;
      candidates = [split.index];
    }
    const raw = Buffer.from(body, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
    for (const index of candidates) {
      const text = this.#decrypt(raw, index);
      if (text !== undefined) return { text, stale: index > 0 };
    }
    return undefined;
  }

  #decrypt(raw: Buffer, index: number): string | undefined {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#aesKeys[index]!, raw.subarray(0, IV_BYTES));
      decipher.setAAD(this.#aad);
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      return plain.toString('utf8');
    } catch {
      return undefined;
    }
  }
}
