/**
 * Template functions with Go signatures, and Go's built-in functions (text/template's
 * funcs.go): and, or, not, len, index, slice, print, printf, println, eq, ne, lt, le,
 * gt, ge, html, js, urlquery, call.
 */
import { sprint, sprintf, sprintln } from './fmt.ts';
import { isPrintRune } from './strconv.ts';
import type { GoFloat } from './values.ts';
import {
  basicKind,
  floatValue,
  goTypeName,
  isPlainObject,
  isTrue,
  mapZeroValue,
} from './values.ts';

/**
 * A parameter's Go type, which decides how arguments are checked: `string`, `int`
 * and `[]string` must match; `any` (interface{}) takes anything, nil included;
 * `value` (reflect.Value, the builtins') takes anything but nil literals.
 */
export type ParamType = 'any' | 'value' | 'string' | 'int' | 'strings';

export const paramTypeName: Record<ParamType, string> = {
  any: 'interface {}',
  value: 'reflect.Value',
  string: 'string',
  int: 'int',
  strings: '[]string',
};

/** A function callable from templates. Throwing an Error makes Go's `error calling NAME: MESSAGE`. */
export interface GoFunc {
  readonly params: readonly ParamType[];
  readonly variadic?: ParamType;
  readonly fn: (...args: never[]) => unknown;
}

export type FuncMap = Readonly<Record<string, GoFunc>>;

function fn<A extends unknown[]>(params: ParamType[], f: (...args: A) => unknown, variadic?: ParamType): GoFunc {
  return variadic === undefined ? { params, fn: f as (...args: never[]) => unknown } : { params, variadic, fn: f as (...args: never[]) => unknown };
}

/** Go's byte length of a string (UTF-8). */
export function byteLength(s: string): number {
  return /^[\x00-\x7f]*$/.test(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

/** Slices a string by UTF-8 byte offsets, as Go does. */
export function byteSlice(s: string, start: number, end?: number): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s.slice(start, end);
  return Buffer.from(s, 'utf8').subarray(start, end).toString('utf8');
}

function length(item: unknown): number {
  if (typeof item === 'string') return byteLength(item);
  if (Array.isArray(item) || item instanceof Uint8Array) return item.length;
  if (item instanceof Map) return item.size;
  if (isPlainObject(item)) return Object.values(item).filter((v) => typeof v !== 'function').length;
  if (item === undefined) throw new Error('reflect: call of reflect.Value.Type on zero Value');
  if (item === null) throw new Error('len of nil pointer');
  throw new Error(`len of type ${goTypeName(item)}`);
}

function indexArg(index: unknown, cap: number): number {
  let x: number;
  if (typeof index === 'number' && Number.isInteger(index) && !Object.is(index, -0)) x = index;
  else if (typeof index === 'bigint') x = Number(index);
  else if (index === null || index === undefined) throw new Error('cannot index slice/array with nil');
  else throw new Error(`cannot index slice/array with type ${goTypeName(index)}`);
  if (x < 0 || x > cap) throw new Error(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error('index of untyped nil');
  for (const idx of indexes) {
    if (item === null || item === undefined) throw new Error('index of nil pointer');
    if (typeof item === 'string' || Array.isArray(item) || item instanceof Uint8Array) {
      const len = typeof item === 'string' ? byteLength(item) : item.length;
      const x = indexArg(idx, len);
      // Go's reflect panics at len, naming the kind.
      if (x === len) throw new Error(`reflect: ${typeof item === 'string' ? 'string' : 'slice'} index out of range`);
      if (typeof item === 'string') item = Buffer.from(item, 'utf8')[x];
      else item = item[x];
    } else if (item instanceof Map || isPlainObject(item)) {
      if (typeof idx !== 'string') {
        if (idx === null || idx === undefined) throw new Error('value is nil; should be of type string');
        throw new Error(`value has type ${goTypeName(idx)}; should be string`);
      }
      const m = item;
      const hit = m instanceof Map ? m.has(idx) : Object.hasOwn(m, idx) && typeof m[idx] !== 'function';
      item = hit ? (m instanceof Map ? m.get(idx) : m[idx]) : mapZeroValue(m);
    } else {
      throw new Error(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    len = byteLength(item);
  } else if (Array.isArray(item) || item instanceof Uint8Array) {
    len = item.length;
  } else {
    throw new Error(`can't slice item of type ${goTypeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((x, i) => {
    idx[i] = indexArg(x, len);
  });
  const [i, j, k] = idx as [number, number, number];
  if (i > j) throw new Error(`invalid slice index: ${i} > ${j}`);
  if (indexes.length === 3 && j > k) throw new Error(`invalid slice index: ${j} > ${k}`);
  if (typeof item === 'string') return byteSlice(item, i, j);
  return item.slice(i, j);
}

const errBadComparisonType = 'invalid type for comparison';
const errBadComparison = 'incompatible types for comparison';
const errNoComparison = 'missing argument for comparison';

function eq(arg1: unknown, ...arg2: unknown[]): boolean {
  if (arg2.length === 0) throw new Error(errNoComparison);
  const k1 = basicKind(arg1);
  for (const arg of arg2) {
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (k1 !== 'invalid' && k2 !== 'invalid') throw new Error(errBadComparison);
    } else {
      switch (k1) {
        case 'bool':
        case 'string':
          truth = arg1 === arg;
          break;
        case 'int':
          truth = (arg1 as number | bigint) == (arg as number | bigint);
          break;
        case 'float':
          truth = floatValue(arg1 as number | GoFloat) === floatValue(arg as number | GoFloat);
          break;
        case 'invalid':
          truth = true;
          break;
        default:
          if (Array.isArray(arg1) || Array.isArray(arg) || arg1 instanceof Map || isPlainObject(arg1)) {
            throw new Error(`non-comparable type ${sprint([arg1])}: ${goTypeName(arg1)}`);
          }
          truth = arg1 === arg;
      }
    }
    if (truth) return true;
  }
  return false;
}

function lt(arg1: unknown, arg2: unknown): boolean {
  const k1 = basicKind(arg1);
  if (k1 === 'invalid' || k1 === 'other') throw new Error(errBadComparisonType);
  const k2 = basicKind(arg2);
  if (k2 === 'invalid' || k2 === 'other') throw new Error(errBadComparisonType);
  if (k1 !== k2) throw new Error(errBadComparison);
  switch (k1) {
    case 'bool':
      throw new Error(errBadComparisonType);
    case 'float':
      return floatValue(arg1 as number | GoFloat) < floatValue(arg2 as number | GoFloat);
    case 'string':
      return Buffer.compare(Buffer.from(arg1 as string), Buffer.from(arg2 as string)) < 0;
    default:
      return (arg1 as number | bigint) < (arg2 as number | bigint);
  }
}

function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

/** Go's evalArgs for html/js/urlquery: one string as is, anything else through fmt.Sprint. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

/** Go's template.HTMLEscapeString. */
export function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => {
    switch (c) {
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '&': return '&amp;';
      case "'": return '&#39;';
      case '"': return '&#34;';
      default: return '\ufffd';
    }
  });
}

/** Go's template.JSEscapeString. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '\\': out += '\\\\'; continue;
      case "'": out += "\\'"; continue;
      case '"': out += '\\"'; continue;
      case '<': out += '\\u003C'; continue;
      case '>': out += '\\u003E'; continue;
      case '&': out += '\\u0026'; continue;
      case '=': out += '\\u003D'; continue;
    }
    if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
    else if (cp < 0x80 || isPrintRune(cp)) out += ch;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** text/template's built-in functions. `and`, `or` and `call` get special handling in exec. */
export const builtins: FuncMap = {
  and: fn(['value'], (...a: unknown[]) => a[a.length - 1], 'value'),
  or: fn(['value'], (...a: unknown[]) => a[a.length - 1], 'value'),
  not: fn(['value'], (a: unknown) => !isTrue(a)),
  len: fn(['value'], length),
  index: fn(['value'], index, 'value'),
  slice: fn(['value'], slice, 'value'),
  print: fn([], (...a: unknown[]) => sprint(a), 'any'),
  printf: fn(['string'], (f: string, ...a: unknown[]) => sprintf(f, a), 'any'),
  println: fn([], (...a: unknown[]) => sprintln(a), 'any'),
  eq: fn(['value'], eq, 'value'),
  ne: fn(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: fn(['value', 'value'], lt),
  le: fn(['value', 'value'], le),
  gt: fn(['value', 'value'], (a: unknown, b: unknown) => !le(a, b)),
  ge: fn(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b)),
  html: fn([], (...a: unknown[]) => htmlEscape(evalArgs(a)), 'any'),
  js: fn([], (...a: unknown[]) => jsEscape(evalArgs(a)), 'any'),
  urlquery: fn([], (...a: unknown[]) => queryEscape(evalArgs(a)), 'any'),
  call: fn(['value'], () => undefined, 'value'),
};

/** Calls a function value for the `call` builtin. */
export function callFunction(name: string, f: unknown, args: unknown[]): unknown {
  if (f === null || f === undefined) throw new Error('call of nil');
  if (typeof f !== 'function') throw new Error(`non-function ${name} of type ${goTypeName(f)}`);
  return (f as (...a: unknown[]) => unknown)(...args);
}

export { fn as defineFunc };
