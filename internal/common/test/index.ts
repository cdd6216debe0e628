// Test helpers for the packages' tests (`@koa-kit/common/test`); never bundled into a build.
export { itRefusesOptions, type OptionErrorCase } from './option-errors.js';
export { withKoaKitUser } from './type-surface.js';
