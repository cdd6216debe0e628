import { type ErrorsOptions, errors } from '@koa-kit/errors';
import { type AppErrors, collectAppErrors } from '@koa-kit/testing';
import Koa from 'koa';

export interface TestApp {
  app: Koa;
  appErrors: AppErrors;
}

/** A Koa app with errors(options) on top and `handler` below it; every app error is collected. */
export function appWith(handler: Koa.Middleware, options?: ErrorsOptions, env = 'test'): TestApp {
  const app = new Koa({ env });
  const appErrors = collectAppErrors(app);
  app.use(errors(options));
  app.use(handler);
  return { app, appErrors };
}

export function shouldNotHaveHeader(headers: Record<string, unknown>, name: string): void {
  if (name.toLowerCase() in headers)
    throw new Error(`unexpected header ${name}: ${String(headers[name.toLowerCase()])}`);
}
