/**
 * A stable, readable description of a module's run-time exports, for an exports snapshot test:
 * functions by name and arity, classes by name, constants (error-code tables, defaults) by value.
 * A change of the public surface then shows up as a snapshot diff in review.
 */
export function describeExports(mod: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(mod)
      .sort()
      .map((key) => [key, describeValue(mod[key], 0)]),
  );
}

function describeValue(value: unknown, depth: number): unknown {
  if (typeof value === 'function') {
    const source = Function.prototype.toString.call(value);
    return source.startsWith('class') ? `class ${value.name}` : `function ${value.name}(arity ${value.length})`;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 3) return Array.isArray(value) ? `[array of ${value.length}]` : '[object]';
  if (Array.isArray(value)) return value.map((v) => describeValue(v, depth + 1));
  const described: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) described[key] = describeValue((value as any)[key], depth + 1);
  if (Object.isFrozen(value)) described['(frozen)'] = true;
  return described;
}
