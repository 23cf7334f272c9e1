/**
 * The functions docker/cli adds to every `--format` template (templates.go):
 * json, split, join, title, lower, upper, pad, truncate — and the header variants
 * a `table` header is rendered with, which leave column titles as they are.
 */
import { byteLength, byteSlice, defineFunc, markStringSlice, marshalJSON } from '@strata/go-template';
import type { FuncMap } from '@strata/go-template';

/** Go's strings.Split: an empty separator splits into characters. */
function split(s: string, sep: string): string[] {
  return markStringSlice(sep === '' ? Array.from(s) : s.split(sep));
}

/** Per-character case mapping (Go maps rune to rune; JavaScript's 'ß' → 'SS' would be wrong). */
function mapRunes(s: string, f: (c: string) => string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return f(s);
  let out = '';
  for (const c of s) {
    const m = f(c);
    out += Array.from(m).length === 1 ? m : c;
  }
  return out;
}

export function goToUpper(s: string): string {
  return mapRunes(s, (c) => c.toUpperCase());
}

export function goToLower(s: string): string {
  return mapRunes(s, (c) => c.toLowerCase());
}

function isSeparator(c: string): boolean {
  const cp = c.codePointAt(0) ?? 0;
  if (cp <= 0x7f) return !/[0-9A-Za-z_]/.test(c);
  if (/[\p{L}\p{Nd}]/u.test(c)) return false;
  return /\s/u.test(c);
}

// Title case differs from upper case only for these digraphs (Ǆ ǅ ǆ → ǅ, …).
const titleCase: Readonly<Record<string, string>> = {
  '\u01c4': '\u01c5', '\u01c5': '\u01c5', '\u01c6': '\u01c5',
  '\u01c7': '\u01c8', '\u01c8': '\u01c8', '\u01c9': '\u01c8',
  '\u01ca': '\u01cb', '\u01cb': '\u01cb', '\u01cc': '\u01cb',
  '\u01f1': '\u01f2', '\u01f2': '\u01f2', '\u01f3': '\u01f2',
};

/** Go's strings.Title: title-cases the first letter of each word. */
export function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    out += isSeparator(prev) ? (titleCase[c] ?? mapRunes(c, (x) => x.toUpperCase())) : c;
    prev = c;
  }
  return out;
}

function pad(source: string, prefix: number, suffix: number): string {
  if (source === '') return source;
  if (prefix < 0 || suffix < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(prefix) + source + ' '.repeat(suffix);
}

function truncate(source: string, length: number): string {
  const n = byteLength(source);
  if (n < length) return source;
  if (length < 0) throw new Error(`runtime error: slice bounds out of range [:${length}]`);
  return byteSlice(source, 0, length);
}

/** docker's template functions (docker/cli templates.basicFunctions). */
export const dockerFunctions: FuncMap = {
  // docker's json uses an Encoder with SetEscapeHTML(false): `<` stays `<`.
  json: defineFunc(['any'], (v: unknown) => marshalJSON(v, { escapeHTML: false })),
  split: defineFunc(['string', 'string'], split),
  join: defineFunc(['strings', 'string'], (elems: string[] | null, sep: string) => (elems ?? []).join(sep)),
  title: defineFunc(['string'], goTitle),
  lower: defineFunc(['string'], goToLower),
  upper: defineFunc(['string'], goToUpper),
  pad: defineFunc(['string', 'int', 'int'], pad),
  truncate: defineFunc(['string', 'int'], truncate),
};

/** The functions a table header is rendered with: column titles pass through unchanged. */
export const headerFunctions: FuncMap = {
  json: defineFunc(['string'], (v: string) => v),
  split: defineFunc(['string', 'string'], (v: string) => v),
  join: defineFunc(['string', 'string'], (v: string) => v),
  title: defineFunc(['string'], (v: string) => v),
  lower: defineFunc(['string'], (v: string) => v),
  upper: defineFunc(['string'], (v: string) => v),
  truncate: defineFunc(['string', 'int'], (v: string) => v),
};
