/**
 * Field-by-field checks for JSON documents that come from outside (manifests, configs,
 * indexes). Each failure names the document and the field path, e.g.
 * `image config: field "rootfs.diff_ids[2]" must be a digest, got "sha256:zz"`.
 */
import { invalidArgument } from '../errdefs/index.ts';

export type JsonObject = Record<string, unknown>;

/** The document being read and where in it we are, for error messages. */
export interface FieldPath {
  readonly document: string;
  readonly path: string;
}

export function at(parent: FieldPath, key: string | number): FieldPath {
  const path = typeof key === 'number' ? `${parent.path}[${key}]` : parent.path === '' ? key : `${parent.path}.${key}`;
  return { document: parent.document, path };
}

export function root(document: string): FieldPath {
  return { document, path: '' };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function fieldError(where: FieldPath, expectation: string, value: unknown): Error {
  const field = where.path === '' ? 'the document' : `field "${where.path}"`;
  return invalidArgument(`${where.document}: ${field} must be ${expectation}, got ${describe(value)}`);
}

/**
 * How deep a document may nest. Go's decoder stops at 10000 levels; strata stops at 1000, so
 * that everything walking a document recursively later (JSON.stringify when a config is
 * written again, templates, inspect) stays far within the stack. Real documents nest < 10.
 */
export const MAX_JSON_DEPTH = 1000;

export function parseJsonDocument(bytes: Buffer | string, document: string): unknown {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`${document}: not valid JSON: ${(err as Error).message}`);
  }
  if (nestingDepth(text) > MAX_JSON_DEPTH) throw invalidArgument(`${document}: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** The deepest nesting of arrays and objects in valid JSON text (brackets inside strings skipped). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: up to the next quote that no backslash escapes.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

export function asObject(value: unknown, where: FieldPath): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fieldError(where, 'an object', value);
  return value as JsonObject;
}

export function asString(value: unknown, where: FieldPath): string {
  if (typeof value !== 'string') throw fieldError(where, 'a string', value);
  return value;
}

export function asOptionalString(value: unknown, where: FieldPath): string | undefined {
  return value === undefined || value === null ? undefined : asString(value, where);
}

export function asInteger(value: unknown, where: FieldPath, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw fieldError(where, min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`, value);
  }
  return value;
}

export function asBoolean(value: unknown, where: FieldPath): boolean {
  if (typeof value !== 'boolean') throw fieldError(where, 'a boolean', value);
  return value;
}

export function asArray(value: unknown, where: FieldPath): unknown[] {
  if (!Array.isArray(value)) throw fieldError(where, 'an array', value);
  return value;
}

/** An optional array; JSON `null` reads as absent, as Go's decoder does for slices. */
export function asOptionalArray<T>(value: unknown, where: FieldPath, item: (v: unknown, w: FieldPath) => T): T[] | undefined {
  if (value === undefined || value === null) return undefined;
  return asArray(value, where).map((v, i) => item(v, at(where, i)));
}

export function asStringArray(value: unknown, where: FieldPath): string[] {
  return asArray(value, where).map((v, i) => asString(v, at(where, i)));
}

export function asOptionalStringArray(value: unknown, where: FieldPath): string[] | undefined {
  return asOptionalArray(value, where, asString);
}

export function asStringMap(value: unknown, where: FieldPath): Record<string, string> {
  const obj = asObject(value, where);
  for (const [k, v] of Object.entries(obj)) asString(v, at(where, k));
  return obj as Record<string, string>;
}

export function asOptionalStringMap(value: unknown, where: FieldPath): Record<string, string> | undefined {
  return value === undefined || value === null ? undefined : asStringMap(value, where);
}

/** A Go `map[string]struct{}` (ExposedPorts, Volumes): an object whose values are objects. */
export function asOptionalSet(value: unknown, where: FieldPath): Record<string, Record<string, never>> | undefined {
  if (value === undefined || value === null) return undefined;
  const obj = asObject(value, where);
  for (const [k, v] of Object.entries(obj)) {
    if (v !== null) asObject(v, at(where, k));
  }
  return obj as Record<string, Record<string, never>>;
}
