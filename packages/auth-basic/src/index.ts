export {
  BasicAuthErrorCode,
  type BasicAuthOptions,
  type BasicAuthUser,
  basicAuth,
  DEFAULT_REALM,
} from './basic-auth.js';

// `ctx.state.user` and `KoaKitUser`: the augmentation @koa-kit/jwt publishes too, from one source
// that the declaration build inlines here.
import '@koa-kit/common/koa-kit-user';
