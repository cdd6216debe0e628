// @koa-kit/static serving the bench data dir, with @koa-kit/range-download above it (the
// composition the READMEs document). options.cache === false turns the small-file cache off.
import { rangeDownload } from '@koa-kit/range-download';
import { serveStatic } from '@koa-kit/static';
import Koa from 'koa';

export default async function filesStatic({ dataDir, cache = true, range = true }) {
  const app = new Koa();
  if (range) app.use(rangeDownload());
  app.use(serveStatic(dataDir, cache ? {} : { cacheMaxFileSize: 0 }));
  return app.callback();
}
