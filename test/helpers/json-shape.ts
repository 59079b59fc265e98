/**
 * The shape of a JSON document: the same keys with each leaf replaced by its type name, so
 * that two documents compare equal when they have the same fields of the same types,
 * whatever the values. Arrays keep their elements' shapes.
 */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, child]) => [key, shapeOf(child)]),
    );
  }
  return typeof value;
}
