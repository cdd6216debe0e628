import { fileURLToPath } from 'node:url';
import { describeTypeSurface } from '@koa-kit/testing';

const KOA_KIT_USER = fileURLToPath(new URL('../src/koa-kit-user.ts', import.meta.url));

/**
 * A package's type surface (describeTypeSurface) as published: plus the KoaKitUser augmentation
 * of src/koa-kit-user.ts, which the declaration build inlines into the package's .d.ts.
 */
export function withKoaKitUser(surface: ReturnType<typeof describeTypeSurface>): typeof surface {
  const koa = [...new Set([...surface.koa, ...describeTypeSurface(KOA_KIT_USER).koa])].sort();
  return { exports: surface.exports, koa };
}
