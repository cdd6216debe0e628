import { optionError, optionsObject, rejectUnknownOptions } from '@koa-kit/common';
import type { Context } from 'koa';
import type { Problem } from './problem.js';

/** Renders the error response yourself: set `ctx.body` (and `ctx.type`); status and headers are already set. */
export type ErrorFormatter = (ctx: Context, problem: Problem) => void;

export interface ErrorsOptions {
  /**
   * `'auto'` (default): negotiate problem+json, HTML or text with the `Accept` header.
   * `'envelope'`: always `{ code, message, data: null, detail? }` (the @koa-kit/status-envelope shape).
   * A function: render anything.
   */
  format?: 'auto' | 'envelope' | ErrorFormatter;
  /** Include the stack trace in responses. Default: `process.env.NODE_ENV === 'development'` (explicitly), read per error. */
  stack?: boolean;
  /** Render Koa's "nothing answered" 404 (status 404 and no body). Default true. */
  notFound?: boolean;
  /** Also `app.emit('error')` for 4xx errors (5xx are always emitted). Default false. */
  emitClientErrors?: boolean;
  /** Longest message (in characters) put in a response; longer ones are cut and end with "…". Default 1024. */
  maxMessageLength?: number;
  /**
   * Most bytes of an unread request body read and discarded after an error, so a keep-alive
   * connection stays usable; a longer body closes the connection (`Connection: close`). Default 1 MiB.
   */
  drainLimit?: number;
}

export const DEFAULT_MAX_MESSAGE_LENGTH = 1024;
const MAX_MESSAGE_LENGTH_LIMIT = 65_536;
export const DEFAULT_DRAIN_LIMIT = 1024 * 1024;
const DRAIN_LIMIT_LIMIT = 1024 * 1024 * 1024;

export interface ResolvedOptions {
  format: 'auto' | 'envelope' | ErrorFormatter;
  stack: boolean | undefined;
  notFound: boolean;
  emitClientErrors: boolean;
  maxMessageLength: number;
  drainLimit: number;
}

const KNOWN = new Set(['format', 'stack', 'notFound', 'emitClientErrors', 'maxMessageLength', 'drainLimit']);

function optionalBoolean(options: ErrorsOptions, name: keyof ErrorsOptions): boolean | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw optionError('errors', `"${name}" option must be a boolean`);
  return value;
}

/** Checks the options once, when the factory is called; never mutates the caller's object. */
export function resolveOptions(given: ErrorsOptions | undefined): ResolvedOptions {
  const options = optionsObject('errors', given);
  rejectUnknownOptions('errors', options, KNOWN);
  const format = options.format ?? 'auto';
  if (format !== 'auto' && format !== 'envelope' && typeof format !== 'function') {
    throw optionError('errors', '"format" option must be "auto", "envelope" or a function');
  }
  const maxMessageLength = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  if (!Number.isInteger(maxMessageLength) || maxMessageLength < 16 || maxMessageLength > MAX_MESSAGE_LENGTH_LIMIT) {
    throw optionError('errors', `"maxMessageLength" option must be an integer from 16 to ${MAX_MESSAGE_LENGTH_LIMIT}`);
  }
  const drainLimit = options.drainLimit ?? DEFAULT_DRAIN_LIMIT;
  if (!Number.isInteger(drainLimit) || drainLimit < 0 || drainLimit > DRAIN_LIMIT_LIMIT) {
    throw optionError('errors', `"drainLimit" option must be an integer from 0 to ${DRAIN_LIMIT_LIMIT} (bytes)`);
  }
  return {
    format,
    stack: optionalBoolean(options, 'stack'),
    notFound: optionalBoolean(options, 'notFound') ?? true,
    emitClientErrors: optionalBoolean(options, 'emitClientErrors') ?? false,
    maxMessageLength,
    drainLimit,
  };
}
