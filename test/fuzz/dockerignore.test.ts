// Fuzzing the .dockerignore matcher against an independent, straightforward oracle of the same
// documented rules: each pattern becomes one anchored regex (`**` any number of directories,
// `*`/`?` within a segment, classes, escapes), a path is excluded when the last pattern that
// matches it or one of its parents is not an exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IgnoreMatcher, readIgnoreFile } from '../../../src/builder/context/ignore.ts';

/** The oracle's own reading of a pattern (no shared code with the matcher). */
function oracleRegex(pattern: string): RegExp {
  let re = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (pattern.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 3;
    } else if (pattern.startsWith('**', i)) {
      re += '.*';
      i += 2;
    } else if (c === '*') {
      re += '[^/]*';
      i++;
    } else if (c === '?') {
      re += '[^/]';
      i++;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      re += pattern.slice(i, end + 1);
      i = end + 1;
    } else if (c === '\\') {
      re += `\\${pattern[i + 1]}`;
      i += 2;
    } else {
      re += c.replace(/[.+()|{}$^]/g, '\\$&');
      i++;
    }
  }
  return new RegExp(`^${re}$`);
}

function oracleExcluded(patterns: { re: RegExp; not: boolean }[], path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const p of patterns) {
    if (candidates.some((c) => p.re.test(c))) excluded = !p.not;
  }
  return excluded;
}

// Patterns from a grammar of well-formed pieces: literals, wildcards, classes, escapes, `**`
// segments, optional `!` and leading `/`.
const segment = fc.array(fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', '.', '-', '_', 'x1') },
  { weight: 2, arbitrary: fc.constant('*') },
  { weight: 2, arbitrary: fc.constant('?') },
  { weight: 1, arbitrary: fc.constantFrom('[ab]', '[^a]', '[a-c]', '[.x]', '[^.-_]') },
  { weight: 1, arbitrary: fc.constantFrom('\\*', '\\?', '\\[') },
), { minLength: 1, maxLength: 4 }).map((p) => p.join('')).filter((s) => !s.includes('**'));

const pattern = fc.tuple(
  fc.boolean(),
  fc.boolean(),
  fc.array(fc.oneof({ weight: 5, arbitrary: segment }, { weight: 1, arbitrary: fc.constant('**') }), { minLength: 1, maxLength: 3 }),
).map(([not, slash, segs]) => `${not ? '!' : ''}${slash ? '/' : ''}${segs.join('/')}`);

const pathSeg = fc.array(fc.constantFrom('a', 'b', 'c', '.', '-', '_', 'x1', '*', '?', '['), { minLength: 1, maxLength: 4 })
  .map((p) => p.join('')).filter((s) => s !== '.' && s !== '..');
const path = fc.array(pathSeg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));

test('fuzz: the matcher agrees with the oracle on generated patterns and paths', () => {
  fc.assert(fc.property(fc.array(pattern, { minLength: 1, maxLength: 5 }), fc.array(path, { minLength: 1, maxLength: 8 }), (pats, paths) => {
    const lines = readIgnoreFile(pats.join('\n'));
    // A pattern that cleans to `/` (`/.`) cannot be read by docker at all (`!/` becomes `!`).
    fc.pre(!lines.some((l) => l === '/' || l === '!/'));
    const oracle = lines.map((l) => (l.startsWith('!') ? { re: oracleRegex(l.slice(1)), not: true } : { re: oracleRegex(l), not: false }));
    const m = new IgnoreMatcher(lines);
    for (const p of paths) assert.equal(m.matches(p), oracleExcluded(oracle, p), `${JSON.stringify(lines)} on ${p}`);
  }), { numRuns: 15000 });
});

test('fuzz: arbitrary patterns never throw anything but a clean invalid-argument error', () => {
  const anyPattern = fc.array(fc.constantFrom('a', '/', '*', '?', '[', ']', '^', '-', '!', '\\', ':', '.', '{', '(', '$', 'é', ' '), { maxLength: 10 }).map((a) => a.join(''));
  fc.assert(fc.property(fc.array(anyPattern, { maxLength: 5 }), path, (pats, p) => {
    try {
      new IgnoreMatcher(readIgnoreFile(pats.join('\n'))).matches(p);
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'invalid-argument', String(err));
    }
  }), { numRuns: 5000 });
});
