import { packageConfig } from '../../tsup.base';

// keepNames: the returned middleware keeps its name (DEBUG=koa* shows it) even where the bundler renames it.
export default packageConfig({ keepNames: true });
