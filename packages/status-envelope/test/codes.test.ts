import { codes, thirdPartyError } from '@koa-kit/status-envelope';
import { isHttpError } from 'http-errors';
import { describe, expect, test } from 'vitest';

// FastFlyer's tables (its README, "返回码清单"): every number must have a constant.
const EXPECTED = {
  '2xx': [200, 201, 202, 203, 204, 205, 206, 207, 208, 226],
  '3xx': [300, 301, 302, 303, 304, 305, 306, 307, 308],
  '4xx': [
    400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
    425, 426, 428, 429, 431, 451,
  ],
  '5xx': [500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511],
  '60x': [600, 601, 602, 603, 604, 605, 606],
  ws: [1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015],
};

describe('codes', () => {
  const entries = Object.entries(codes);

  test.each(Object.entries(EXPECTED))('every %s code of FastFlyer has a named constant', (_group, numbers) => {
    for (const number of numbers) {
      const found = entries.filter(([, entry]) => entry.code === number);
      expect(found.length, `code ${number}`).toBeGreaterThanOrEqual(1);
    }
  });

  test('no code outside the tables', () => {
    const all = new Set(Object.values(EXPECTED).flat());
    for (const [, entry] of entries) expect(all.has(entry.code), `code ${entry.code}`).toBe(true);
  });

  test('names follow FastFlyer: HTTP_<code>_... or WS_<code>_..., and each entry names itself', () => {
    for (const [key, entry] of entries) {
      expect(key).toMatch(new RegExp(`^(HTTP|WS)_${entry.code}_[A-Z0-9_]+$`));
      if (key !== 'HTTP_605_THIRD_PARTY_NEWORK_ERROR') expect(entry.name).toBe(key);
      expect(entry.description).toMatch(/^[A-Z][\x20-\x7e]+$/); // English, printable
    }
  });

  test('well-known constants', () => {
    expect(codes.HTTP_200_OK.code).toBe(200);
    expect(codes.HTTP_404_NOT_FOUND.description).toBe('Resource not found');
    expect(codes.HTTP_604_THIRD_PARTY_TIMEOUT_ERROR.code).toBe(604);
    expect(codes.WS_1015_TLS_HANDSHAKE.code).toBe(1015);
    // FastFlyer's own spelling is kept as an alias
    expect(codes.HTTP_605_THIRD_PARTY_NEWORK_ERROR).toBe(codes.HTTP_605_THIRD_PARTY_NETWORK_ERROR);
  });

  test('the table is frozen', () => {
    expect(Object.isFrozen(codes)).toBe(true);
    expect(Object.isFrozen(codes.HTTP_200_OK)).toBe(true);
  });
});

describe('thirdPartyError()', () => {
  test.each([
    [600, 502, 'THIRD_PARTY_ERROR'],
    [601, 502, 'THIRD_PARTY_STATUS_ERROR'],
    [602, 502, 'THIRD_PARTY_DATA_ERROR'],
    [603, 503, 'THIRD_PARTY_UNAVAILABLE_ERROR'],
    [604, 504, 'THIRD_PARTY_TIMEOUT_ERROR'],
    [605, 502, 'THIRD_PARTY_NETWORK_ERROR'],
    [606, 502, 'THIRD_PARTY_RETRY_ERROR'],
  ] as const)('%i is HTTP %i with code %s', (envelopeCode, status, code) => {
    const err = thirdPartyError(envelopeCode);
    expect(isHttpError(err)).toBe(true);
    expect(err.status).toBe(status);
    expect(err.statusCode).toBe(status);
    expect(err.code).toBe(code);
    expect(err.envelopeCode).toBe(envelopeCode);
    expect(err.expose).toBe(false);
    expect(err.message).toBe(Object.values(codes).find((e) => e.code === envelopeCode)!.description);
  });

  test('accepts a codes entry, a message, a cause (kept, not enumerable) and headers', () => {
    const cause = new Error('connect ETIMEDOUT 10.1.2.3:443');
    const err = thirdPartyError(codes.HTTP_603_THIRD_PARTY_UNAVAILABLE_ERROR, 'Payments are down', {
      cause,
      headers: { 'Retry-After': '30' },
    });
    expect(err.status).toBe(503);
    expect(err.message).toBe('Payments are down');
    expect(err.cause).toBe(cause);
    expect(Object.keys(err)).not.toContain('cause');
    expect(err.headers).toEqual({ 'Retry-After': '30' });
  });

  test('props cannot change the status, code or envelope code', () => {
    const err = thirdPartyError(604, undefined, { status: 200, code: 'X', envelopeCode: 1 } as never);
    expect(err.status).toBe(504);
    expect(err.code).toBe('THIRD_PARTY_TIMEOUT_ERROR');
    expect(err.envelopeCode).toBe(604);
  });

  test('expose: true shows the message', () => {
    expect(thirdPartyError(602, 'Bad upstream JSON', { expose: true }).expose).toBe(true);
  });

  test.each([[599], [607], [404], ['604'], [null], [{ code: 200 }]])('refuses code %j', (code) => {
    expect(() => thirdPartyError(code as never)).toThrow(TypeError);
  });

  test('refuses a message that is not a string and props that are not an object', () => {
    expect(() => thirdPartyError(600, 42 as never)).toThrow(/message must be a string/);
    expect(() => thirdPartyError(600, 'x', 'cause' as never)).toThrow(/props must be an object/);
  });
});
