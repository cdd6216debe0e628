// A TypeScript user of @koa-kit/range-download: options, sendFile(), ctx.state.range.
import {
  type ByteRange,
  type RangeDownloadOptions,
  type RangeState,
  rangeDownload,
  type SendFileOptions,
  sendFile,
} from '@koa-kit/range-download';
import Koa from 'koa';

const options: RangeDownloadOptions = { maxRanges: 4, highWaterMark: 64 * 1024 };
const download: SendFileOptions = { filename: 'report.pdf', inline: false, type: 'application/pdf' };

const app = new Koa();
app.use(async (ctx, next) => {
  await next();
  const range: RangeState | undefined = ctx.state.range;
  const first: ByteRange | undefined = range?.ranges[0];
  if (first) ctx.set('X-First-Range', `${first.start}-${first.end}/${range?.size}`);
  // @ts-expect-error ctx.state.range is typed by the package, not `any`
  const wrong: string = ctx.state.range;
  void wrong;
});
app.use(rangeDownload(options));
app.use(async (ctx) => {
  const done: Promise<void> = sendFile(ctx, '/srv/files/report.pdf', download);
  await done;
});

// @ts-expect-error sendFile needs the context first
sendFile('/srv/files/report.pdf');

export default app;
