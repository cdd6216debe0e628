/** One code of FastFlyer's tables: the number, its FastFlyer name, and what it means. */
export interface CodeEntry {
  readonly code: number;
  readonly name: string;
  readonly description: string;
}

const TABLE = [
  // 2xx: success
  [200, 'HTTP_200_OK', 'Request succeeded'],
  [201, 'HTTP_201_CREATED', 'Resource created'],
  [202, 'HTTP_202_ACCEPTED', 'Request accepted'],
  [203, 'HTTP_203_NON_AUTHORITATIVE_INFORMATION', 'Non-authoritative information'],
  [204, 'HTTP_204_NO_CONTENT', 'No content returned'],
  [205, 'HTTP_205_RESET_CONTENT', 'Reset content'],
  [206, 'HTTP_206_PARTIAL_CONTENT', 'Partial content returned'],
  [207, 'HTTP_207_MULTI_STATUS', 'Multiple statuses'],
  [208, 'HTTP_208_ALREADY_REPORTED', 'Already reported'],
  [226, 'HTTP_226_IM_USED', 'IM used'],
  // 3xx: redirection
  [300, 'HTTP_300_MULTIPLE_CHOICES', 'Multiple choices'],
  [301, 'HTTP_301_MOVED_PERMANENTLY', 'Resource moved permanently'],
  [302, 'HTTP_302_FOUND', 'Resource moved temporarily'],
  [303, 'HTTP_303_SEE_OTHER', 'See other'],
  [304, 'HTTP_304_NOT_MODIFIED', 'Resource not modified'],
  [305, 'HTTP_305_USE_PROXY', 'Use a proxy'],
  [306, 'HTTP_306_RESERVED', 'Reserved'],
  [307, 'HTTP_307_TEMPORARY_REDIRECT', 'Temporary redirect'],
  [308, 'HTTP_308_PERMANENT_REDIRECT', 'Permanent redirect'],
  // 4xx: client errors
  [400, 'HTTP_400_BAD_REQUEST', 'Bad request'],
  [401, 'HTTP_401_UNAUTHORIZED', 'Unauthorized'],
  [402, 'HTTP_402_PAYMENT_REQUIRED', 'Payment required'],
  [403, 'HTTP_403_FORBIDDEN', 'Forbidden'],
  [404, 'HTTP_404_NOT_FOUND', 'Resource not found'],
  [405, 'HTTP_405_METHOD_NOT_ALLOWED', 'Method not allowed'],
  [406, 'HTTP_406_NOT_ACCEPTABLE', 'Content not acceptable'],
  [407, 'HTTP_407_PROXY_AUTHENTICATION_REQUIRED', 'Proxy authentication required'],
  [408, 'HTTP_408_REQUEST_TIMEOUT', 'Request timed out'],
  [409, 'HTTP_409_CONFLICT', 'Conflict'],
  [410, 'HTTP_410_GONE', 'Resource no longer available'],
  [411, 'HTTP_411_LENGTH_REQUIRED', 'Content length required'],
  [412, 'HTTP_412_PRECONDITION_FAILED', 'Precondition failed'],
  [413, 'HTTP_413_PAYLOAD_TOO_LARGE', 'Payload too large'],
  [414, 'HTTP_414_URI_TOO_LONG', 'URI too long'],
  [415, 'HTTP_415_UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type'],
  [416, 'HTTP_416_RANGE_NOT_SATISFIABLE', 'Range not satisfiable'],
  [417, 'HTTP_417_EXPECTATION_FAILED', 'Expectation failed'],
  [418, 'HTTP_418_I_AM_A_TEAPOT', "I'm a teapot (the server refuses to brew coffee)"],
  [421, 'HTTP_421_MISDIRECTED_REQUEST', 'Misdirected request'],
  [422, 'HTTP_422_UNPROCESSABLE_ENTITY', 'Unprocessable entity'],
  [423, 'HTTP_423_LOCKED', 'Locked'],
  [424, 'HTTP_424_FAILED_DEPENDENCY', 'Failed dependency'],
  [425, 'HTTP_425_TOO_EARLY', 'Too early'],
  [426, 'HTTP_426_UPGRADE_REQUIRED', 'Protocol upgrade required'],
  [428, 'HTTP_428_PRECONDITION_REQUIRED', 'Precondition required'],
  [429, 'HTTP_429_TOO_MANY_REQUESTS', 'Too many requests'],
  [431, 'HTTP_431_REQUEST_HEADER_FIELDS_TOO_LARGE', 'Request header fields too large'],
  [451, 'HTTP_451_UNAVAILABLE_FOR_LEGAL_REASONS', 'Unavailable for legal reasons'],
  // 5xx: server errors
  [500, 'HTTP_500_INTERNAL_SERVER_ERROR', 'Internal server error'],
  [501, 'HTTP_501_NOT_IMPLEMENTED', 'Not implemented'],
  [502, 'HTTP_502_BAD_GATEWAY', 'Bad gateway'],
  [503, 'HTTP_503_SERVICE_UNAVAILABLE', 'Service unavailable'],
  [504, 'HTTP_504_GATEWAY_TIMEOUT', 'Gateway timeout'],
  [505, 'HTTP_505_HTTP_VERSION_NOT_SUPPORTED', 'HTTP version not supported'],
  [506, 'HTTP_506_VARIANT_ALSO_NEGOTIATES', 'Variant also negotiates'],
  [507, 'HTTP_507_INSUFFICIENT_STORAGE', 'Insufficient storage'],
  [508, 'HTTP_508_LOOP_DETECTED', 'Loop detected'],
  [510, 'HTTP_510_NOT_EXTENDED', 'Not extended'],
  [511, 'HTTP_511_NETWORK_AUTHENTICATION_REQUIRED', 'Network authentication required'],
  // 60x: third-party service errors (body code only: HTTP has no 6xx)
  [600, 'HTTP_600_THIRD_PARTY_ERROR', 'Request to a third-party service failed'],
  [601, 'HTTP_601_THIRD_PARTY_STATUS_ERROR', 'Third-party service answered with an unexpected status code'],
  [602, 'HTTP_602_THIRD_PARTY_DATA_ERROR', 'Third-party service answered with unexpected data'],
  [603, 'HTTP_603_THIRD_PARTY_UNAVAILABLE_ERROR', 'Third-party service unavailable'],
  [604, 'HTTP_604_THIRD_PARTY_TIMEOUT_ERROR', 'Third-party service timed out'],
  [605, 'HTTP_605_THIRD_PARTY_NETWORK_ERROR', 'Network error while calling a third-party service'],
  [606, 'HTTP_606_THIRD_PARTY_RETRY_ERROR', 'Third-party service still answered unexpectedly after retries'],
  // WebSocket close codes
  [1000, 'WS_1000_NORMAL_CLOSURE', 'Normal closure'],
  [1001, 'WS_1001_GOING_AWAY', 'Going away'],
  [1002, 'WS_1002_PROTOCOL_ERROR', 'Protocol error'],
  [1003, 'WS_1003_UNSUPPORTED_DATA', 'Unsupported data'],
  [1005, 'WS_1005_NO_STATUS_RCVD', 'No status received'],
  [1006, 'WS_1006_ABNORMAL_CLOSURE', 'Abnormal closure'],
  [1007, 'WS_1007_INVALID_FRAME_PAYLOAD_DATA', 'Invalid frame payload data'],
  [1008, 'WS_1008_POLICY_VIOLATION', 'Policy violation'],
  [1009, 'WS_1009_MESSAGE_TOO_BIG', 'Message too big'],
  [1010, 'WS_1010_MANDATORY_EXT', 'Mandatory extension missing'],
  [1011, 'WS_1011_INTERNAL_ERROR', 'Internal error'],
  [1012, 'WS_1012_SERVICE_RESTART', 'Service restarting'],
  [1013, 'WS_1013_TRY_AGAIN_LATER', 'Try again later'],
  [1014, 'WS_1014_BAD_GATEWAY', 'Bad gateway'],
  [1015, 'WS_1015_TLS_HANDSHAKE', 'TLS handshake failed'],
] as const;

type Table = typeof TABLE;
type Row = Table[number];

/** Every code of FastFlyer's tables, by FastFlyer name: `codes.HTTP_404_NOT_FOUND.code === 404`. */
export type Codes = { readonly [R in Row as R[1]]: CodeEntry & { readonly code: R[0]; readonly name: R[1] } } & {
  /** FastFlyer's own spelling of HTTP_605_THIRD_PARTY_NETWORK_ERROR, kept for ported code. */
  readonly HTTP_605_THIRD_PARTY_NEWORK_ERROR: CodeEntry & { readonly code: 605 };
};

const built: Record<string, CodeEntry> = {};
for (const [code, name, description] of TABLE) built[name] = Object.freeze({ code, name, description });
built.HTTP_605_THIRD_PARTY_NEWORK_ERROR = built.HTTP_605_THIRD_PARTY_NETWORK_ERROR!;

export const codes = Object.freeze(built) as unknown as Codes;

/** The entry for a number, or undefined. */
export const byCode: ReadonlyMap<number, CodeEntry> = new Map(TABLE.map(([code, name]) => [code, built[name]!]));
