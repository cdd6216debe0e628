/**
 * A JSON Web Key (RFC 7517 and 7518), the shape `createPublicKey({ key, format: 'jwk' })` reads and
 * `keyObject.export({ format: 'jwk' })` returns. Declared here rather than imported: `@types/node`
 * 25 and later no longer export `JsonWebKey` from `node:crypto`, and a missing import would make
 * `KeyMaterial` silently `any` for apps built with `skipLibCheck`.
 */
export interface Jwk {
  kty?: string;
  alg?: string;
  crv?: string;
  d?: string;
  dp?: string;
  dq?: string;
  e?: string;
  ext?: boolean;
  k?: string;
  key_ops?: string[];
  kid?: string;
  n?: string;
  oth?: Array<{ d?: string; r?: string; t?: string }>;
  p?: string;
  q?: string;
  qi?: string;
  use?: string;
  x?: string;
  y?: string;
}
