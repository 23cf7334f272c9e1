/**
 * The shell patterns of `${VAR#pat}`, `${VAR%pat}` and `${VAR/pat/repl}` as BuildKit applies
 * them: `*` is any run of characters, `?` any one character (neither crosses a newline, as in
 * Go's regexp), `\` escapes only `*`, `?` and `\`, and there are no bracket expressions.
 *
 * BuildKit converts the pattern to an RE2 regex, which runs in linear time. A JS regex could
 * backtrack exponentially on patterns with many `*`, so matching here is a small NFA
 * simulation instead: the same results (leftmost start; shortest or longest end), polynomial
 * time on any input.
 */
import { DetailError } from './errors.ts';

type Token = { kind: 'lit'; ch: string } | { kind: 'any' } | { kind: 'star' };

/** Tokenises a pattern; throws `invalid escape` for `\` before anything but `*?\` (and `}` `/`). */
export function parseShellPattern(pattern: string): Token[] {
  const chars = Array.from(pattern);
  const out: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? '';
    if (ch === '*') out.push({ kind: 'star' });
    else if (ch === '?') out.push({ kind: 'any' });
    else if (ch === '\\') {
      const next = chars[i + 1];
      // `\}` and `\/` escape the ${} syntax, not the pattern: the backslash is dropped.
      if (next === '}' || next === '/') continue;
      i++;
      if (next !== '*' && next !== '?' && next !== '\\') throw new DetailError(`invalid escape '\\${next ?? '\ufffd'}'`);
      out.push({ kind: 'lit', ch: next });
    } else {
      out.push({ kind: 'lit', ch });
    }
  }
  return out;
}

/** Every end position (in code points) at which the pattern matches `value` from `start`. */
function matchEnds(tokens: Token[], value: string[], start: number): number[] {
  const m = tokens.length;
  const closure = (set: Set<number>): Set<number> => {
    // A star may match nothing: skip over it.
    for (const i of [...set].sort((a, b) => a - b)) {
      let j = i;
      while (j < m && tokens[j]?.kind === 'star') set.add(++j);
    }
    return set;
  };
  let states = closure(new Set([0]));
  const ends: number[] = [];
  if (states.has(m)) ends.push(start);
  for (let p = start; p < value.length && states.size > 0; p++) {
    const c = value[p] ?? '';
    const next = new Set<number>();
    for (const i of states) {
      const t = tokens[i];
      if (t === undefined) continue;
      if (t.kind === 'lit') {
        if (t.ch === c) next.add(i + 1);
      } else if (c !== '\n') {
        next.add(t.kind === 'any' ? i + 1 : i);
      }
    }
    states = closure(next);
    if (states.has(m)) ends.push(p + 1);
  }
  return ends;
}

function tokensOf(pattern: string): Token[] {
  try {
    return parseShellPattern(pattern);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DetailError(`invalid pattern (${pattern}) in substitution: ${why}`);
  }
}

/** `${VAR#pat}` / `${VAR##pat}`: remove the shortest/longest matching prefix. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const tokens = tokensOf(pattern);
  const chars = Array.from(value);
  const ends = matchEnds(tokens, chars, 0);
  if (ends.length === 0) return value;
  const end = greedy ? Math.max(...ends) : Math.min(...ends);
  return chars.slice(end).join('');
}

/** `${VAR%pat}` / `${VAR%%pat}`: remove the shortest/longest matching suffix. */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // As BuildKit does: reverse both sides (escapes kept in order) and trim a prefix.
  const reversed = trimPrefix(reversePattern(pattern), reverseString(value), greedy);
  return reverseString(reversed);
}

/** `${VAR/pat/repl}` and `${VAR//pat/repl}` with Go's regexp replacement semantics. */
export function replacePattern(pattern: string, value: string, replacement: string, all: boolean): string {
  const tokens = tokensOf(pattern);
  const chars = Array.from(value);
  // The leftmost match at or after `from`, with the longest end (what a greedy regex finds).
  const find = (from: number): [number, number] | undefined => {
    for (let s = from; s <= chars.length; s++) {
      const ends = matchEnds(tokens, chars, s);
      if (ends.length > 0) return [s, Math.max(...ends)];
    }
    return undefined;
  };
  if (!all) {
    const m = find(0);
    if (m === undefined) return value;
    return chars.slice(0, m[0]).join('') + replacement + chars.slice(m[1]).join('');
  }
  // Go's ReplaceAllString: `$` in the replacement refers to groups, an empty match right
  // after the previous match is not replaced, and the search always advances.
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= chars.length) {
    const m = find(searchPos);
    if (m === undefined) break;
    const [start, end] = m;
    out += chars.slice(lastMatchEnd, start).join('');
    if (end > lastMatchEnd || start === 0) out += expandTemplate(replacement, chars.slice(start, end).join(''));
    lastMatchEnd = end;
    const width = searchPos < chars.length ? 1 : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + chars.slice(lastMatchEnd).join('');
}

/** Go's Regexp.Expand for a pattern without groups: `$0`/`${0}` is the match, `$$` a dollar. */
function expandTemplate(template: string, match: string): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch !== '$') {
      out += ch;
      continue;
    }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i++;
      continue;
    }
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
    if (name === undefined) {
      out += '$';
      continue;
    }
    if (/^[0-9]+$/.test(name) && Number(name) === 0) out += match;
    i += len;
  }
  return out;
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
