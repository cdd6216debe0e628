export type { CodeEntry, Codes } from './codes.js';
export { codes } from './codes.js';
export type { Envelope, EnvelopeState, StatusEnvelopeOptions } from './envelope.js';
export { statusEnvelope } from './envelope.js';
export type { MessageSet } from './messages.js';
export type { PageInfo } from './page-info.js';
export { pageInfo } from './page-info.js';
export type { ThirdPartyCode, ThirdPartyError, ThirdPartyErrorProps } from './third-party.js';
export { thirdPartyError } from './third-party.js';
