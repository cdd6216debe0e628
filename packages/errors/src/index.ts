export { errors } from './errors.js';
export type { ErrorFormatter, ErrorsOptions } from './options.js';
export type { Problem } from './problem.js';
