/**
 * Go's encoding/json for template values: `json.Marshal` (HTML characters escaped
 * as \u003c \u003e \u0026), an Encoder with SetEscapeHTML(false) (docker's `json`
 * template function), and MarshalIndent with four spaces (`docker inspect`).
 */
import { formatRFC3339Nano } from './time.ts';
import { formatFloat } from './strconv.ts';
import { GoFloat, GoStruct, isGoInt, isPlainObject, sortedEntries, structFields } from './values.ts';
import { indentJson } from './json-indent.ts';

export interface JsonOptions {
  /** Escape <, > and & as \u003c, \u003e, \u0026 (json.Marshal does; docker's `json` func doesn't). */
  escapeHTML: boolean;
  /** Indentation per level (MarshalIndent); empty for compact output. */
  indent?: string;
}

const hex = '0123456789abcdef';

/** A JSON string literal as Go writes it. */
export function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      switch (c) {
        case 0x08: rep = '\\b'; break;
        case 0x0c: rep = '\\f'; break;
        case 0x0a: rep = '\\n'; break;
        case 0x0d: rep = '\\r'; break;
        case 0x09: rep = '\\t'; break;
        default: rep = '\\u00' + hex[c >> 4] + hex[c & 15];
      }
    } else if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26)) rep = '\\u00' + hex[c >> 4] + hex[c & 15];
    else if (c === 0x2028) rep = '\\u2028';
    else if (c === 0x2029) rep = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate is invalid UTF-8 for Go: it becomes U+FFFD.
      const pair = c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
      if (pair) {
        i++;
        continue;
      }
      rep = '\\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return out + s.slice(last) + '"';
}

/** Go's JSON form of a float64 (`1e+21`, `1e-7`, `0.5`); throws on NaN and infinities. */
export function jsonFloat(f: number): string {
  if (!Number.isFinite(f)) throw new Error(`json: unsupported value: ${formatFloat(f, 'g', -1)}`);
  if (Object.is(f, -0)) return '-0';
  return String(f);
}

/** Removes insignificant whitespace from valid JSON, optionally escaping HTML characters in strings. */
export function compactJSON(src: string, escapeHTML: boolean): string {
  let out = '';
  let inString = false;
  let last = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      else if (escapeHTML && (c === '<' || c === '>' || c === '&')) {
        out += src.slice(last, i) + '\\u00' + (c === '<' ? '3c' : c === '>' ? '3e' : '26');
        last = i + 1;
      }
      continue;
    }
    if (c === '"') inString = true;
    else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      out += src.slice(last, i);
      last = i + 1;
    }
  }
  return out + src.slice(last);
}

const MAX_DEPTH = 1000;

/**
 * Encodes a template value as Go's encoding/json would. Structs keep field order,
 * JS Maps sort their keys as Go maps do, plain objects keep their key order.
 * Throws an Error with Go's message for unsupported values (NaN, cycles).
 */
export function marshalJSON(v: unknown, options: JsonOptions): string {
  const indent = options.indent ?? '';
  const esc = options.escapeHTML;
  const enc = (x: unknown, depth: number, prefix: string): string => {
    if (depth > MAX_DEPTH) throw new Error('json: unsupported value: encountered a cycle');
    switch (typeof x) {
      case 'undefined':
        return 'null';
      case 'boolean':
        return x ? 'true' : 'false';
      case 'string':
        return jsonString(x, esc);
      case 'bigint':
        return x.toString();
      case 'number':
        return isGoInt(x) ? String(x) : jsonFloat(x);
      case 'function':
        throw new Error('json: unsupported type: func()');
      default:
        break;
    }
    if (x === null) return 'null';
    if (x instanceof GoFloat) return jsonFloat(x.value);
    if (x instanceof Date) return jsonString(formatRFC3339Nano(x), esc);
    if (x instanceof Uint8Array) return '"' + Buffer.from(x).toString('base64') + '"';
    if (x instanceof GoStruct && x.marshalJSON !== undefined) {
      const raw = compactJSON(x.marshalJSON(), esc);
      return indent === '' ? raw : indentJson(raw, indent, prefix);
    }
    const inner = prefix + indent;
    const open = (items: string[], o: string, c: string): string => {
      if (items.length === 0) return o + c;
      if (indent === '') return o + items.join(',') + c;
      return o + '\n' + inner + items.join(',\n' + inner) + '\n' + prefix + c;
    };
    const colon = indent === '' ? ':' : ': ';
    if (Array.isArray(x)) return open(x.map((e) => enc(e, depth + 1, inner)), '[', ']');
    let entries: Array<[unknown, unknown]>;
    if (x instanceof GoStruct) entries = structFields(x);
    else if (x instanceof Map) entries = sortedEntries(x);
    else if (isPlainObject(x) || typeof x === 'object') {
      entries = Object.entries(x as Record<string, unknown>).filter(([, val]) => typeof val !== 'function');
    } else entries = [];
    return open(
      entries.map(([k, val]) => jsonString(String(k), esc) + colon + enc(val, depth + 1, inner)),
      '{',
      '}',
    );
  };
  return enc(v, 0, '');
}

