/** Limits for the extra properties copied from an exposed error into a response. */
export const MAX_DEPTH = 6;
export const MAX_KEYS = 50;
export const MAX_ITEMS = 100;
/** Above this size (in characters of JSON), extra properties are dropped from the response. */
export const MAX_EXTENSIONS_JSON = 16_384;

/** Reads a property without letting a throwing getter or proxy trap escape. */
export function read(value: unknown, key: string): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

export function ownKeys(value: object): string[] {
  try {
    return Object.keys(value);
  } catch {
    return [];
  }
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  // never cut a surrogate pair in half
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * A JSON-safe copy: circular references become "[Circular]", depth, keys, items and strings are
 * bounded, functions and symbols are dropped, bigints become strings, getters that throw are skipped.
 */
export function jsonSafe(value: unknown, maxString: number, seen: object[] = [], depth = 0): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return truncate(value, maxString);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  const object = value as object;
  if (seen.includes(object)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  const toJSON = read(object, 'toJSON');
  if (typeof toJSON === 'function') {
    let converted: unknown;
    try {
      converted = toJSON.call(object);
    } catch {
      return undefined;
    }
    if (converted !== object) {
      seen.push(object);
      try {
        return jsonSafe(converted, maxString, seen, depth + 1);
      } finally {
        seen.pop();
      }
    }
  }
  seen.push(object);
  try {
    if (Array.isArray(object)) {
      const out: unknown[] = [];
      const length = Math.min(object.length, MAX_ITEMS);
      for (let i = 0; i < length; i++) {
        const item = jsonSafe(read(object, String(i)), maxString, seen, depth + 1);
        out.push(item === undefined ? null : item);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    const keys = ownKeys(object);
    const length = Math.min(keys.length, MAX_KEYS);
    for (let i = 0; i < length; i++) {
      const key = keys[i]!;
      if (key === '__proto__') continue;
      const item = jsonSafe(read(object, key), maxString, seen, depth + 1);
      if (item !== undefined) out[key] = item;
    }
    return out;
  } finally {
    seen.pop();
  }
}
