const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** Longest window accepted: a day's worth of milliseconds times 365 (and well inside a 32-bit PEXPIRE). */
export const MAX_DURATION_MS = 365 * 86_400_000;

/**
 * Parses a window length: a number of milliseconds, or a string such as `'500ms'`, `'30s'`, `'1m'`,
 * `'2 hours'`, `'1d'` (a bare number string is milliseconds). Returns undefined when it is not one.
 */
export function parseDuration(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const match = DURATION_PATTERN.exec(value.trim());
    if (!match) return undefined;
    const unit = match[2]!.toLowerCase();
    const factor = unit === '' ? 1 : UNIT_MS[unit];
    if (factor === undefined) return undefined;
    ms = Number(match[1]) * factor;
  } else {
    return undefined;
  }
  if (!Number.isFinite(ms) || ms < 1 || ms > MAX_DURATION_MS) return undefined;
  return Math.round(ms);
}
