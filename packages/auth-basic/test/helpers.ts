export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

export { appWith, deferred, renderErrors } from '@koa-kit/testing';
