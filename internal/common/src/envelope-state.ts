/**
 * The `ctx.state` keys statusEnvelope() sets on every request and errors({ format: 'envelope' })
 * reads, so an error below them is rendered in the same envelope as the successes. Both packages
 * bundle this one definition; the keys are part of their documented State (see DESIGN.md).
 */
export const ENVELOPE_STATE = {
  /** `'always-200'` with statusEnvelope({ httpStatus: 'always-200' }); unset otherwise. */
  httpStatus: 'envelopeHttpStatus',
  /** statusEnvelope({ codeBase }) when not 0; unset otherwise. */
  codeBase: 'envelopeCodeBase',
  /** The message of each body code (a ReadonlyMap<number, string>), always set. */
  messages: 'envelopeMessages',
} as const;
