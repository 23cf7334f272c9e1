/**
 * Go's path.Match, which COPY and ADD use for wildcard sources: `*` is any run of characters
 * but `/`, `?` one character but `/`, `[…]` a class (ranges, `^` negation, `\` escapes), and
 * `\` quotes the next character. A malformed pattern matches nothing (Go returns an error,
 * which BuildKit's walker treats as no match).
 */

/** Whether a path has a wildcard character outside an escape (BuildKit's containsWildcards). */
export function hasWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '*' || ch === '?' || ch === '[') return true;
    if (ch === '\\') i++;
  }
  return false;
}

/** Go's path.Match(pattern, name); false for a malformed pattern. */
export function goMatch(pattern: string, name: string): boolean {
  const p = Array.from(pattern);
  const s = Array.from(name);
  try {
    return matchFrom(p, 0, s, 0);
  } catch {
    return false;
  }
}

class BadPattern extends Error {}

function matchFrom(p: string[], pi: number, s: string[], si: number): boolean {
  while (pi < p.length) {
    const c = p[pi] as string;
    if (c === '*') {
      while (pi < p.length && p[pi] === '*') pi++;
      if (pi === p.length) {
        for (let k = si; k < s.length; k++) if (s[k] === '/') return false;
        return true;
      }
      for (let k = si; k <= s.length; k++) {
        if (matchFrom(p, pi, s, k)) return true;
        if (k < s.length && s[k] === '/') return false;
      }
      return false;
    }
    if (si >= s.length) {
      // Go still validates the rest of the pattern before failing.
      validateRest(p, pi);
      return false;
    }
    const ch = s[si] as string;
    if (c === '?') {
      if (ch === '/') return false;
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      const { matched, next } = matchClass(p, pi + 1, ch);
      if (!matched) return false;
      pi = next;
      si++;
      continue;
    }
    let lit = c;
    if (c === '\\') {
      pi++;
      if (pi >= p.length) throw new BadPattern();
      lit = p[pi] as string;
    }
    if (lit !== ch) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

function classChar(p: string[], i: number): { ch: string; next: number } {
  let c = p[i];
  if (c === undefined || c === '-' || c === ']') throw new BadPattern();
  if (c === '\\') {
    i++;
    c = p[i];
    if (c === undefined) throw new BadPattern();
  }
  return { ch: c, next: i + 1 };
}

function matchClass(p: string[], i: number, ch: string): { matched: boolean; next: number } {
  let negated = false;
  if (p[i] === '^') {
    negated = true;
    i++;
  }
  let matched = false;
  let count = 0;
  for (;;) {
    if (p[i] === ']' && count > 0) {
      i++;
      break;
    }
    const lo = classChar(p, i);
    let hi = lo;
    i = lo.next;
    if (p[i] === '-') {
      hi = classChar(p, i + 1);
      i = hi.next;
    }
    if ((lo.ch.codePointAt(0) ?? 0) <= (ch.codePointAt(0) ?? 0) && (ch.codePointAt(0) ?? 0) <= (hi.ch.codePointAt(0) ?? 0)) matched = true;
    count++;
  }
  return { matched: matched !== negated, next: i };
}

function validateRest(p: string[], pi: number): void {
  while (pi < p.length) {
    const c = p[pi];
    if (c === '\\') {
      if (pi + 1 >= p.length) throw new BadPattern();
      pi += 2;
    } else if (c === '[') {
      pi = matchClass(p, pi + 1, '\0').next;
    } else {
      pi++;
    }
  }
}
