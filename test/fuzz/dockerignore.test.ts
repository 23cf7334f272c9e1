// Fuzzing .dockerignore (src/builder/context/ignore.ts): the matcher agrees with an independent,
// straightforward oracle of the same documented rules (each pattern one anchored regex: `**` any
// number of directories, `*`/`?` within a segment, classes, escapes; a path is excluded when the
// last pattern that matches it or one of its parents is not an exception); the walker's
// parent-result shortcut agrees with matching each path whole; any file text or pattern reads
// or fails with an invalid-argument StrataError; and no pattern stalls on a long name.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IgnoreMatcher, readIgnoreFile } from '../../src/builder/context/ignore.ts';
import { BadRegex, compileRe2 } from '../../src/builder/context/re2-match.ts';
import type { MatchInfo } from '../../src/builder/context/ignore.ts';
import { isStrataError } from '../../src/errdefs/index.ts';
import { fuzzParams, fuzzTests } from '../helpers/fuzz.ts';

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

/** Reads and matches; anything thrown must be the invalid-argument error naming the file. */
function matchesOrInvalid(text: string | Uint8Array, paths: string[]): void {
  try {
    const m = new IgnoreMatcher(readIgnoreFile(text));
    for (const p of paths) assert.equal(typeof m.matches(p), 'boolean');
  } catch (err) {
    assert.ok(isStrataError(err, 'invalid-argument'), String(err));
    assert.match(err.message, /^\.dockerignore: /);
  }
}

// Ignore files as docker's documentation and real projects write them: the seeds of mutation.
const seeds = [
  '# comment\n*/temp*\n*/*/temp*\ntemp?',
  '**/*.go\n!main.go',
  '*.md\n!README*.md\nREADME-secret.md',
  'node_modules\n.git\n/dist/\n!dist/keep\n*.log\n**/.DS_Store',
  '[a-c]*.txt\n\\*literal\n!**/keep/**\nbuild/**/*.o\n.env*\n!.env.example',
  '\ufeff# bom\r\n  spaced  \r\n!  /x/../y  \r\n[[:alpha:]]?\n\\d*',
];

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('*', '**', '?', '[', ']', '^', '-', '!', '\\', '/', '\n', '\r', ' ', '.', '..', '[:', ':]', '\\x', '\\Q', '\u00e9', '\ufffd') }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dupline' as const), at: fc.nat() }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** Applies mutations to the file's bytes (bit flips can make invalid UTF-8, as a real file can). */
function mutate(seed: string, muts: Mutation[]): Buffer {
  let bytes = Buffer.from(seed, 'utf8');
  for (const m of muts) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + (m.op === 'flip' ? 0 : 1));
    if (m.op === 'flip') {
      if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << m.bit);
    } else if (m.op === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.text), bytes.subarray(at)]);
    else if (m.op === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.len)]);
    else if (m.op === 'truncate') bytes = bytes.subarray(0, at);
    else {
      const lines = bytes.toString('latin1').split('\n');
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i] ?? '');
      bytes = Buffer.from(lines.join('\n'), 'latin1');
    }
  }
  return bytes;
}

/** A file name of up to 255 bytes from a small alphabet, so wildcards have many ways to match. */
const longName = fc.tuple(fc.constantFrom('a', 'ab', 'a.', 'aab'), fc.integer({ min: 40, max: 255 }), fc.constantFrom('', 'b', '.c', 'x'))
  .map(([unit, n, tail]) => (unit.repeat(Math.ceil(n / unit.length)).slice(0, n - tail.length) + tail));

/** Patterns with many wildcards: the shape that makes a backtracking matcher take exponential time. */
const starry = fc.tuple(
  fc.array(fc.constantFrom('*', '*a', 'a*', '?', '**/', '*.', '[a-b]*', '\\a*', 'a'), { minLength: 4, maxLength: 14 }),
  fc.constantFrom('b', 'c', '*b', '?c'),
).map(([parts, end]) => parts.join('') + end);

fuzzTests(import.meta.url, {
  'fuzz: the matcher agrees with the oracle on generated patterns and paths': () => {
    fc.assert(fc.property(fc.array(pattern, { minLength: 1, maxLength: 5 }), fc.array(path, { minLength: 1, maxLength: 8 }), (pats, paths) => {
      const lines = readIgnoreFile(pats.join('\n'));
      // A pattern that cleans to `/` (`/.`) cannot be read by docker at all (`!/` becomes `!`).
      fc.pre(!lines.some((l) => l === '/' || l === '!/'));
      const oracle = lines.map((l) => (l.startsWith('!') ? { re: oracleRegex(l.slice(1)), not: true } : { re: oracleRegex(l), not: false }));
      const m = new IgnoreMatcher(lines);
      for (const p of paths) assert.equal(m.matches(p), oracleExcluded(oracle, p), `${JSON.stringify(lines)} on ${p}`);
    }), fuzzParams(2000));
  },

  // Only without exceptions: moby's MatchesUsingParentResults (which BuildKit's walker uses, and
  // strata follows) never evaluates an exception while nothing matched yet, so a parent that only
  // an exception matches is not remembered: `**/[ab]`, `!\?` excludes `?/a` when walked, not
  // when matched whole. docker does the same.
  'fuzz: walking with the parent\'s results agrees with matching each path whole': () => {
    fc.assert(fc.property(fc.array(pattern.map((p) => p.replace(/^!/, '')), { minLength: 1, maxLength: 5 }), path, (pats, p) => {
      const lines = readIgnoreFile(pats.join('\n'));
      fc.pre(!lines.includes('/'));
      const m = new IgnoreMatcher(lines);
      const parts = p.split('/');
      let info: MatchInfo | undefined;
      for (let i = 1; i <= parts.length; i++) {
        const prefix = parts.slice(0, i).join('/');
        const r = m.matchesUsingParentResults(prefix, info);
        assert.equal(r.matched, m.matches(prefix), `${JSON.stringify(lines)} on ${prefix}`);
        info = r.info;
      }
    }), fuzzParams(1000));
  },

  'fuzz: arbitrary patterns never throw anything but a clean invalid-argument error': () => {
    const anyPattern = fc.array(fc.constantFrom('a', '/', '*', '?', '[', ']', '^', '-', '!', '\\', ':', '.', '{', '(', '$', '\u00e9', ' '), { maxLength: 10 }).map((a) => a.join(''));
    fc.assert(fc.property(fc.array(anyPattern, { maxLength: 5 }), path, (pats, p) => {
      matchesOrInvalid(pats.join('\n'), [p]);
    }), fuzzParams(1000));
  },

  'fuzz: mutated ignore files read and match, or fail with an invalid-argument error': () => {
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.array(path, { maxLength: 4 }), (seed, muts, paths) => {
      matchesOrInvalid(mutate(seed, muts), paths);
    }), fuzzParams(1000));
  },

  'fuzz: the linear-time VM and the JS RegExp agree on the regexes patterns become': () => {
    const piece = fc.constantFrom('[^/]*', '[^/]', '(.*/)?', '.*', 'a', 'b', '/', '\\.', '.', '[a-c]', '[^a]', '\\b', '\\B', '\\d', '\\W',
      '[[:alpha:]]', '\\Q*.\\E', '\\x{e9}', '\u00e9', '\\101', '^', '$', '(a)+', '(b[^/]*)*');
    const text = fc.array(fc.constantFrom('a', 'b', 'c', '/', '.', 'A', '1', '_', ' ', '\u00e9', '\u{1f600}', '\n'), { maxLength: 12 }).map((a) => a.join(''));
    // Anchored, as docker's are and as the RegExp engine is only used: unanchored, V8 also
    // starts a search inside a surrogate pair (see the regression below).
    fc.assert(fc.property(fc.array(piece, { maxLength: 8 }), fc.boolean(), fc.array(text, { maxLength: 6 }), (pieces, end, texts) => {
      const src = `^${pieces.join('')}${end ? '$' : ''}`;
      let vm: (t: string) => boolean;
      try {
        vm = compileRe2(src, 'vm');
      } catch (err) {
        assert.ok(err instanceof BadRegex, String(err));
        assert.throws(() => compileRe2(src, 'regexp'), BadRegex);
        return;
      }
      const re = compileRe2(src, 'regexp');
      for (const t of texts) assert.equal(vm(t), re(t), `${JSON.stringify(src)} on ${JSON.stringify(t)}`);
    }), fuzzParams(1000));
  },

  'fuzz: no pattern stalls on a long file name': () => {
    fc.assert(fc.property(starry, longName, fc.constantFrom('', 'd/', 'a/b/'), (pat, name, dir) => {
      matchesOrInvalid(pat, [dir + name]);
    }), fuzzParams(300));
  },

  // Regression (found by the VM against the RegExp, long run): an unanchored V8 search starts
  // inside a surrogate pair too, where `\B` holds; Go's regexp (and the VM) never look there.
  'regression: `\\B` does not match "a😀a" (no match starts inside a surrogate pair)': () => {
    assert.equal(compileRe2('\\B')('a\u{1f600}a'), false);
    assert.equal(compileRe2('\\B', 'vm')('a\u{1f600}a'), false);
    assert.equal(compileRe2('\\Ba')('aa'), true);
  },

  // Regression (found by 'no pattern stalls on a long file name'): moby matches with Go's RE2, in linear time; a
  // backtracking regex took exponential time on this, and `strata build` never finished.
  'regression: `*a*a*a*a*a*a*a*a*b` against a 255-character name does not stall': () => {
    assert.equal(new IgnoreMatcher(['*a*a*a*a*a*a*a*a*b']).matches('a'.repeat(255)), false);
    assert.equal(new IgnoreMatcher(['**/a**/a**/a**/a**/b']).matches(`${'a/'.repeat(120)}c`), false);
  },
});
