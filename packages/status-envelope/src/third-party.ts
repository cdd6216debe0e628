import { optionError } from '@koa-kit/common';
import createError from 'http-errors';
import { byCode, type CodeEntry } from './codes.js';

/** HTTP status and kit `code` of each third-party envelope code. */
export const THIRD_PARTY: ReadonlyMap<number, { status: 502 | 503 | 504; code: string }> = new Map([
  [600, { status: 502, code: 'THIRD_PARTY_ERROR' }],
  [601, { status: 502, code: 'THIRD_PARTY_STATUS_ERROR' }],
  [602, { status: 502, code: 'THIRD_PARTY_DATA_ERROR' }],
  [603, { status: 503, code: 'THIRD_PARTY_UNAVAILABLE_ERROR' }],
  [604, { status: 504, code: 'THIRD_PARTY_TIMEOUT_ERROR' }],
  [605, { status: 502, code: 'THIRD_PARTY_NETWORK_ERROR' }],
  [606, { status: 502, code: 'THIRD_PARTY_RETRY_ERROR' }],
]);

export type ThirdPartyCode = 600 | 601 | 602 | 603 | 604 | 605 | 606;

export interface ThirdPartyErrorProps {
  /** The upstream failure; kept on the error (not enumerable), never rendered. */
  cause?: unknown;
  /** Show the message to clients. Default false: a 5xx shows its status text. */
  expose?: boolean;
  /** Headers the response needs, e.g. `{ 'Retry-After': '30' }` with 603. */
  headers?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * The http-errors HttpError thrown by thirdPartyError(): `status` 502/503/504, `code` string,
 * `envelopeCode` 60x. Declared structurally so the public types need no @types/http-errors.
 */
export interface ThirdPartyError extends Error {
  status: 502 | 503 | 504;
  statusCode: 502 | 503 | 504;
  expose: boolean;
  headers?: Record<string, string>;
  code: string;
  envelopeCode: ThirdPartyCode;
}

const MACHINERY = new Set(['status', 'statusCode', 'code', 'envelopeCode', 'cause']);

/**
 * An HttpError for a failing upstream service: its HTTP status is the truthful gateway status
 * (502 bad answer, 503 unavailable, 504 timeout) and its `envelopeCode` the FastFlyer 60x code.
 */
export function thirdPartyError(
  envelopeCode: ThirdPartyCode | CodeEntry,
  message?: string,
  props?: ThirdPartyErrorProps,
): ThirdPartyError {
  const number = typeof envelopeCode === 'object' && envelopeCode !== null ? envelopeCode.code : envelopeCode;
  const mapping = typeof number === 'number' ? THIRD_PARTY.get(number) : undefined;
  if (mapping === undefined) throw optionError('thirdPartyError', 'code must be one of 600-606');
  if (message !== undefined && typeof message !== 'string') {
    throw optionError('thirdPartyError', 'message must be a string');
  }
  if (props !== undefined && (props === null || typeof props !== 'object' || Array.isArray(props))) {
    throw optionError('thirdPartyError', 'props must be an object');
  }
  const extra: Record<string, unknown> = { expose: false };
  if (props !== undefined) {
    for (const key of Object.keys(props)) if (!MACHINERY.has(key)) extra[key] = props[key];
  }
  extra.code = mapping.code;
  extra.envelopeCode = number;
  const err = createError(mapping.status, message ?? byCode.get(number as number)!.description, extra);
  if (props !== undefined && 'cause' in props) {
    Object.defineProperty(err, 'cause', { value: props.cause, enumerable: false, configurable: true, writable: true });
  }
  return err as unknown as ThirdPartyError;
}
