import {
  type ByteRange,
  type RangeDownloadOptions,
  type RangeState,
  rangeDownload,
  sendFile,
} from '@koa-kit/range-download';
import Koa, { type Middleware } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';

// Checked by `tsc` (the repository typecheck covers test files); a no-op at run time.
describe('public types', () => {
  it('rangeDownload, sendFile and ctx.state.range', () => {
    expectTypeOf(rangeDownload).parameter(0).toEqualTypeOf<RangeDownloadOptions | undefined>();
    expectTypeOf(rangeDownload).returns.toEqualTypeOf<Middleware>();
    expectTypeOf(sendFile).returns.toEqualTypeOf<Promise<void>>();
    const app = new Koa();
    app.use(async (ctx) => {
      await sendFile(ctx, '/tmp/x', { filename: '报告.pdf', inline: false });
      expectTypeOf(ctx.state.range).toEqualTypeOf<RangeState | undefined>();
      expectTypeOf(ctx.state.range?.ranges).toEqualTypeOf<ByteRange[] | undefined>();
    });
  });
});
