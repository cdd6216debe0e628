import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

/** A 2048-bit RSA pair, PEM and KeyObject. */
export function rsaPair(modulusLength = 2048): {
  publicPem: string;
  privatePem: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
} {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    publicKey,
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)).toString(
    'base64url',
  );

/** A 32-byte HMAC secret as text. */
export const SECRET = 'k'.repeat(16) + 'e'.repeat(16);
export const now = (): number => Math.floor(Date.now() / 1000);

export { appWith, deferred, renderErrors } from '@koa-kit/testing';
