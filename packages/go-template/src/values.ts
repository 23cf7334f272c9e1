/**
 * How JavaScript values stand for Go values inside the template engine: Go's template
 * package works on reflect.Values, JavaScript has fewer kinds, so the mapping is fixed here
 * once — kinds, Go type names, truth, map order. The table of it is in the package's
 * README.md ("Values").
 */

/** A float64 whose value happens to be integral (Go's `1.0`, `1e6`): prints `1`, `1e+06`. */
export class GoFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/** Marks a number as a Go float64 even when it is integral (so `1e6` prints `1e+06`). */
export function goFloat(value: number): GoFloat {
  return new GoFloat(value);
}

export interface GoStructOptions {
  /**
   * Replaces the JSON encoding of the struct, as a Go `MarshalJSON` method does. The
   * result must be valid JSON; it is compacted into the surrounding document.
   */
  marshalJSON?: () => string;
}

/**
 * A JavaScript object seen as a Go struct of the named type. Its own enumerable
 * properties are the fields (in order) and its function properties are the methods.
 */
export class GoStruct {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly typeName: string;
  readonly marshalJSON: (() => string) | undefined;
  constructor(fields: Readonly<Record<string, unknown>>, typeName: string, options: GoStructOptions = {}) {
    this.fields = fields;
    this.typeName = typeName;
    this.marshalJSON = options.marshalJSON;
  }
}

/**
 * Wraps `obj` so templates treat it as a Go struct of type `typeName` (used in error
 * messages, e.g. `can't evaluate field Nope in type types.ImageInspect`): `{{.}}`
 * prints `{v1 v2}` and naming a missing field is an execution error.
 */
export function goStruct(obj: Readonly<Record<string, unknown>>, typeName: string, options?: GoStructOptions): GoStruct {
  return new GoStruct(obj, typeName, options);
}

const stringSlices = new WeakSet<readonly unknown[]>();

/** Marks an array as a Go `[]string` (only changes type names in messages and `%T`). */
export function markStringSlice<T extends readonly unknown[]>(arr: T): T {
  stringSlices.add(arr);
  return arr;
}

export function isStringSlice(arr: readonly unknown[]): boolean {
  return stringSlices.has(arr);
}

/** A plain object: a Go map[string]interface{}. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The basic kinds Go's comparison functions distinguish. */
export type BasicKind = 'invalid' | 'bool' | 'int' | 'float' | 'string' | 'other';

export function basicKind(v: unknown): BasicKind {
  switch (typeof v) {
    case 'undefined':
      return 'invalid';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return Number.isInteger(v) && !Object.is(v, -0) ? 'int' : 'float';
    case 'string':
      return 'string';
    default:
      if (v === null) return 'invalid';
      if (v instanceof GoFloat) return 'float';
      return 'other';
  }
}

/** True when `v` is a number the engine treats as a Go int. */
export function isGoInt(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0));
}

/** The float64 value of a float-kinded value. */
export function floatValue(v: number | GoFloat): number {
  return typeof v === 'number' ? v : v.value;
}

/** A map's values all being strings makes it a `map[string]string` (zero value ""). */
function allStrings(values: Iterable<unknown>): boolean {
  for (const v of values) if (typeof v !== 'string') return false;
  return true;
}

export function mapValues(m: Map<unknown, unknown> | Record<string, unknown>): Iterable<unknown> {
  return m instanceof Map ? m.values() : Object.values(m).filter((v) => typeof v !== 'function');
}

/** Go's name for the type of a value, as `%T` and error messages print it. */
export function goTypeName(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return '<nil>';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      // An integer past 2^53 (a template constant such as 9223372036854775807): Go's int.
      return 'int';
    case 'number':
      return isGoInt(v) ? 'int' : 'float64';
    case 'function':
      return 'func()';
    default:
      break;
  }
  if (v === null) return '<nil>';
  if (v instanceof GoFloat) return 'float64';
  if (v instanceof GoStruct) return v.typeName;
  if (v instanceof Date) return 'time.Time';
  if (Array.isArray(v)) return isStringSlice(v) ? '[]string' : '[]interface {}';
  if (v instanceof Uint8Array) return '[]uint8';
  if (v instanceof Map || isPlainObject(v)) {
    return allStrings(mapValues(v)) && sizeOf(v) > 0 ? 'map[string]string' : 'map[string]interface {}';
  }
  return 'interface {}';
}

function sizeOf(m: Map<unknown, unknown> | Record<string, unknown>): number {
  if (m instanceof Map) return m.size;
  let n = 0;
  for (const k in m) if (typeof m[k] !== 'function') n++;
  return n;
}

/** The zero value of a map's element type: "" for a map of strings, else nil. */
export function mapZeroValue(m: Map<unknown, unknown> | Record<string, unknown>): unknown {
  return sizeOf(m) > 0 && allStrings(mapValues(m)) ? '' : null;
}

/**
 * Go's truth in `if`, `with`, `and`, `or`, `not`: false, 0, a nil pointer or
 * interface, and an empty array, slice, map or string are false.
 */
export function isTrue(v: unknown): boolean {
  switch (typeof v) {
    case 'undefined':
      return false;
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'string':
      return v.length > 0;
    case 'function':
      return true;
    default:
      break;
  }
  if (v === null) return false;
  if (v instanceof GoFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Uint8Array) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (v instanceof GoStruct || v instanceof Date) return true;
  if (isPlainObject(v)) return sizeOf(v) > 0;
  return true;
}

/** Compares strings the way Go does: by UTF-8 bytes (code points), not UTF-16 units. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      // Surrogates (astral code points) sort above every BMP code unit in UTF-8 order.
      const sa = ca >= 0xd800 && ca <= 0xdfff;
      const sb = cb >= 0xd800 && cb <= 0xdfff;
      if (sa !== sb) return sa ? 1 : -1;
      return ca < cb ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/** The entries of a map in Go's printing order (fmtsort): keys sorted. */
export function sortedEntries(m: Map<unknown, unknown> | Record<string, unknown>): Array<[unknown, unknown]> {
  const entries: Array<[unknown, unknown]> = [];
  if (m instanceof Map) {
    for (const e of m) entries.push(e);
  } else {
    for (const k of Object.keys(m)) {
      const v = m[k];
      if (typeof v !== 'function') entries.push([k, v]);
    }
  }
  entries.sort((x, y) => compareKeys(x[0], y[0]));
  return entries;
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return compareGoStrings(a, b);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return compareGoStrings(String(a), String(b));
}

/** The fields of a struct in declaration order, methods (functions) left out. */
export function structFields(s: GoStruct): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const k of Object.keys(s.fields)) {
    const v = s.fields[k];
    if (typeof v !== 'function') out.push([k, v]);
  }
  return out;
}
