/**
 * The shell patterns of `${VAR#pat}`, `${VAR%pat}` and `${VAR/pat/repl}`, converted to regular
 * expressions the way BuildKit does: `*` is any run of characters (shortest or longest), `?` any
 * one character, `\` escapes only `*`, `?` and `\`, and there are no bracket expressions.
 */
import { DetailError } from './errors.ts';

const REGEX_SPECIAL = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);
// Go's `.` never matches a newline; JS's also skips \r, U+2028 and U+2029.
const ANY = '[^\\n]';

/** The regex for a shell pattern; throws `invalid escape` for `\` before anything but `*?\`. */
export function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? `${ANY}*` : `${ANY}*?`;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? '';
    if (ch === '*') { out += star; continue; }
    if (ch === '?') { out += ANY; continue; }
    if (ch === '\\') {
      const next = chars[i + 1];
      // `\}` and `\/` escape the ${} syntax, not the pattern: drop the backslash.
      if (next === '}' || next === '/') continue;
      i++;
      if (next !== '*' && next !== '?' && next !== '\\') {
        throw new DetailError(`invalid escape '\\${next ?? '\ufffd'}'`);
      }
      out += `\\${next}`;
      continue;
    }
    if (REGEX_SPECIAL.has(ch)) { out += `\\${ch}`; continue; }
    out += ch;
  }
  return new RegExp(out, 'u');
}

/** `${VAR#pat}` / `${VAR##pat}`: remove the shortest/longest matching prefix. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const re = compile(pattern, greedy, true);
  const m = re.exec(value);
  return m === null ? value : value.slice(m[0].length);
}

/** `${VAR%pat}` / `${VAR%%pat}`: remove the shortest/longest matching suffix. */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // Regexes find leftmost matches, so reverse both sides and trim a prefix.
  const reversed = trimPrefix(reversePattern(pattern), reverseString(value), greedy);
  return reverseString(reversed);
}

/** `${VAR/pat/repl}` and `${VAR//pat/repl}` with Go's regexp replacement semantics. */
export function replacePattern(pattern: string, value: string, replacement: string, all: boolean): string {
  const re = compile(pattern, true, false);
  if (!all) {
    const m = re.exec(value);
    if (m === null) return value;
    return value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length);
  }
  // Go's ReplaceAllString: `$` in the replacement refers to groups, and an empty match right
  // after the previous match is not replaced.
  const g = new RegExp(re.source, 'gu');
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= value.length) {
    g.lastIndex = searchPos;
    const m = g.exec(value);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    out += value.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expandTemplate(replacement, m[0]);
    lastMatchEnd = end;
    const width = searchPos < value.length ? codePointWidth(value, searchPos) : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + value.slice(lastMatchEnd);
}

function codePointWidth(s: string, i: number): number {
  const cp = s.codePointAt(i);
  return cp !== undefined && cp > 0xffff ? 2 : 1;
}

/** Go's Regexp.Expand for a pattern without groups: `$0`/`${0}` is the match, `$$` a dollar. */
function expandTemplate(template: string, match: string): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch !== '$') { out += ch; continue; }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) { out += '$'; i++; continue; }
    let name: string | undefined;
    let len = 0;
    const braced = /^\{([A-Za-z0-9_]+)\}/.exec(rest);
    if (braced !== null) {
      name = braced[1];
      len = braced[0].length;
    } else {
      const bare = /^[A-Za-z0-9_]+/.exec(rest);
      if (bare !== null) {
        name = bare[0];
        len = bare[0].length;
      }
    }
    if (name === undefined) { out += '$'; continue; }
    if (/^[0-9]+$/.test(name) && Number(name) === 0) out += match;
    i += len;
  }
  return out;
}

function compile(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  try {
    return shellPatternToRegex(pattern, greedy, anchored);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DetailError(`invalid pattern (${pattern}) in substitution: ${why}`);
  }
}

/** Reverses a pattern but keeps `\x` escapes in order: `a\*c` becomes `c\*a`. */
export function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last;) {
    const ch = chars[i] ?? '';
    const o = last - i;
    if (ch === '\\' && i !== last) {
      out[o - 1] = ch;
      out[o] = chars[i + 1] ?? '';
      i += 2;
    } else {
      out[o] = ch;
      i++;
    }
  }
  return out.join('');
}

function reverseString(s: string): string {
  return Array.from(s).reverse().join('');
}
