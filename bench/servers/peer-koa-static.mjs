// Peer: koa-static 5 (koa-send underneath) serving the bench data dir with its defaults.
import Koa from 'koa';
import serve from 'koa-static';

export default async function peerKoaStatic({ dataDir }) {
  const app = new Koa();
  app.use(serve(dataDir));
  return app.callback();
}
