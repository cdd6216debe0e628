// Every number that decides how long `npm run bench` takes lives here, so the budget is visible.

/** The server under test runs on this core, the load generator (and Redis) on the other. */
export const SERVER_CORE = 0;
export const LOADER_CORE = 1;

/** A full run: each HTTP scenario and reference gets WARMUP_S once, then ROUNDS x DURATION_S. */
export const FULL = Object.freeze({ durationS: 5, rounds: 3, warmupS: 2, throughputWarmup: true });

/** `--quick`: for development; its figures are noisy and are never written to docs/. */
export const QUICK = Object.freeze({ durationS: 1, rounds: 2, warmupS: 0.5, throughputWarmup: false });

/** In an HTTP group the root reference (e.g. bare koa) is measured again after this many members. */
export const ROOT_EVERY = 3;

/** The hard limit for a whole run, and the share of it the plan aims for. */
export const BUDGET_LIMIT_S = 15 * 60;
export const BUDGET_TARGET_S = 13 * 60;
/** When the plan exceeds the target, HTTP rounds are shortened, but never below this. */
export const MIN_DURATION_S = 2;

/** autocannon defaults for HTTP scenarios (a scenario may set `connections`). */
export const CONNECTIONS = 50;
export const PIPELINING = 1;

/** Time estimates used for the plan (seconds). */
export const SERVER_START_S = 0.5;
export const THROUGHPUT_ROUND_S = 6; // when a scenario gives no `estimateS`
export const FILE_WRITE_BYTES_PER_S = 1e9;

/** A round whose non-2xx (or unexpected status) share is above this is an error, not a figure. */
export const MAX_BAD_RESPONSE_SHARE = 0.001;
