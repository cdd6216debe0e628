import { type ServeStaticOptions, type StaticState, serveStatic } from '@koa-kit/static';
import Koa, { type Middleware } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';

// Checked by `tsc` (the repository typecheck covers test files); a no-op at run time.
describe('public types', () => {
  it('serveStatic returns Koa middleware and ctx.state.static is typed', () => {
    expectTypeOf(serveStatic).parameter(1).toEqualTypeOf<ServeStaticOptions | undefined>();
    expectTypeOf(serveStatic).returns.toEqualTypeOf<Middleware>();
    const app = new Koa();
    app.use((ctx) => {
      expectTypeOf(ctx.state.static).toEqualTypeOf<StaticState | undefined>();
      expectTypeOf(ctx.state.static?.encoding).toEqualTypeOf<'br' | 'gzip' | undefined>();
    });
  });
});
