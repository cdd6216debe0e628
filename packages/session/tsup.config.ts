import { packageConfigWithSharedTypes } from '../../tsup.base';

// src/types.ts holds the `ctx.session` accessor pair: published once, as dist/types.d.cts.
export default packageConfigWithSharedTypes('types');
