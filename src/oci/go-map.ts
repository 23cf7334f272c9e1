/**
 * Go's encoding/json writes a map's keys sorted (by their UTF-8 bytes), a struct's fields in
 * declaration order. strata's API objects are plain objects standing for both, so the fields
 * that are maps in docker's types are re-keyed in Go's order where the object is made: every
 * consumer (JSON output, `--format` templates, the Engine API) then sees docker's order.
 */

/** A copy of `map` with its keys in Go's order; null and undefined pass through. */
export function goMap<T>(map: Readonly<Record<string, T>>): Record<string, T>;
export function goMap<T>(map: Readonly<Record<string, T>> | null | undefined): Record<string, T> | null | undefined;
export function goMap<T>(map: Readonly<Record<string, T>> | null | undefined): Record<string, T> | null | undefined {
  if (map === null || map === undefined) return map;
  const keys = Object.keys(map).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: Record<string, T> = {};
  for (const key of keys) out[key] = map[key] as T;
  return out;
}

/**
 * A copy of `object` whose fields named in `mapFields` (when they are objects) have their
 * keys in Go's order: the map-typed fields of a config (`Labels`, `ExposedPorts`, `Volumes`).
 */
export function withGoMaps<T extends object>(object: T, mapFields: readonly string[]): T {
  const out = { ...object } as Record<string, unknown>;
  for (const field of mapFields) {
    const value = out[field];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) out[field] = goMap(value as Record<string, unknown>);
  }
  return out as T;
}
