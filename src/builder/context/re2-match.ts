/**
 * The RE2 subset docker's `.dockerignore` patterns become (moby's Pattern.compile), matched
 * with Go's regexp meaning and in Go's time: linear in the text for a given pattern.
 *
 * A JavaScript RegExp backtracks: `*a*a*a*a*a*a*a*b` (eight `[^/]*`) against a 255-byte name
 * takes longer than anyone waits, where Go's regexp answers at once. So the pattern is parsed
 * into a small program and run as a Pike VM: every thread advances one code point at a time,
 * at most one thread per instruction, so a match costs O(text × pattern) whatever the pattern.
 */

export class BadRegex extends Error {}

type Ranges = [number, number][];

/** What a pattern is made of: one code point from a set, an assertion, a group, a repetition. */
type Node =
  | { kind: 'set'; ranges: Ranges }
  | { kind: 'assert'; what: Assertion }
  | { kind: 'group'; body: Node[] }
  | { kind: 'repeat'; op: '*' | '+' | '?'; node: Node };

/** `^` and `$` are the text's ends (no multi-line flag); `b`/`B` Go's ASCII word boundary. */
type Assertion = '^' | '$' | 'b' | 'B';

const PERL: Record<string, Ranges> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
};

const POSIX: Record<string, Ranges> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

function negate(r: Ranges): Ranges {
  const sorted = [...r].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}

const single = (cp: number): Node => ({ kind: 'set', ranges: [[cp, cp]] });

/** Parses the regex docker builds from a pattern (Go RE2 syntax, Perl flags); throws BadRegex where Go would fail. */
function parse(src: string): Node[] {
  const s = Array.from(src);
  let i = 0;
  const cp = (ch: string | undefined): number => ch?.codePointAt(0) ?? 0;
  // An escape's meaning: a literal code point, a class, or (outside classes) an assertion.
  const escape = (inClass: boolean): { literal?: number; ranges?: Ranges; assertion?: Assertion } => {
    const c = s[i++];
    if (c === undefined) throw new BadRegex('trailing backslash');
    if (c in PERL || c.toLowerCase() in PERL) {
      const base = PERL[c.toLowerCase()] ?? [];
      return { ranges: c === c.toLowerCase() ? base : negate(base) };
    }
    if (!inClass) {
      // Go's \b is an ASCII word boundary; \A and \z are the text's ends.
      if (c === 'A') return { assertion: '^' };
      if (c === 'z') return { assertion: '$' };
      if (c === 'b') return { assertion: 'b' };
      if (c === 'B') return { assertion: 'B' };
    }
    const code = cp(c);
    if (code < 0x80 && !/[0-9A-Za-z]/.test(c)) return { literal: code };
    if (c >= '1' && c <= '7' && !(s[i] !== undefined && s[i]! >= '0' && s[i]! <= '7')) {
      throw new BadRegex('invalid escape');
    }
    if (c >= '0' && c <= '7') {
      let r = code - 0x30;
      for (let k = 1; k < 3 && s[i] !== undefined && s[i]! >= '0' && s[i]! <= '7'; k++) r = r * 8 + (cp(s[i++]) - 0x30);
      return { literal: r };
    }
    if (c === 'x') {
      if (s[i] === '{') {
        let j = i + 1;
        let hex = '';
        while (s[j] !== undefined && /[0-9A-Fa-f]/.test(s[j]!)) hex += s[j++];
        if (s[j] !== '}' || hex === '' || Number.parseInt(hex, 16) > 0x10ffff) throw new BadRegex('invalid escape');
        i = j + 1;
        return { literal: Number.parseInt(hex, 16) };
      }
      const h = `${s[i] ?? ''}${s[i + 1] ?? ''}`;
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) throw new BadRegex('invalid escape');
      i += 2;
      return { literal: Number.parseInt(h, 16) };
    }
    const control: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (c in control) return { literal: control[c] ?? 0 };
    throw new BadRegex(`invalid escape \\${c}`);
  };

  const parseClass = (): Ranges => {
    // At the character after `[`.
    let negated = false;
    if (s[i] === '^') {
      negated = true;
      i++;
    }
    const ranges: Ranges = [];
    let first = true;
    for (;;) {
      if (i >= s.length) throw new BadRegex('missing ]');
      if (s[i] === ']' && !first) {
        i++;
        break;
      }
      first = false;
      if (s[i] === '[' && s[i + 1] === ':') {
        // Go takes everything up to the next `:]` as a POSIX class name.
        const rest = s.slice(i + 2).join('');
        const end = rest.indexOf(':]');
        if (end >= 0) {
          const name = rest.slice(0, end);
          const negatedName = name.startsWith('^');
          const named = POSIX[negatedName ? name.slice(1) : name];
          if (named === undefined || !Object.hasOwn(POSIX, negatedName ? name.slice(1) : name)) {
            throw new BadRegex('invalid character class range');
          }
          ranges.push(...(negatedName ? negate(named) : named));
          i += 2 + Array.from(rest.slice(0, end + 2)).length;
          continue;
        }
      }
      if (s[i] === '\\' && (s[i + 1] === 'p' || s[i + 1] === 'P')) throw new BadRegex('unicode classes unsupported');
      const charAt = (): { lo: number } | { ranges: Ranges } => {
        if (i >= s.length) throw new BadRegex('missing ]');
        if (s[i] === '\\') {
          i++;
          const e = escape(true);
          if (e.ranges !== undefined) return { ranges: e.ranges };
          return { lo: e.literal ?? 0 };
        }
        return { lo: cp(s[i++]) };
      };
      const a = charAt();
      if ('ranges' in a) {
        ranges.push(...a.ranges);
        continue;
      }
      let hi = a.lo;
      if (s[i] === '-' && s[i + 1] !== undefined && s[i + 1] !== ']') {
        i++;
        const b = charAt();
        if ('ranges' in b) throw new BadRegex('invalid character class range');
        hi = b.lo;
        if (hi < a.lo) throw new BadRegex('invalid character class range');
      }
      ranges.push([a.lo, hi]);
    }
    return negated ? negate(ranges) : ranges;
  };

  // The sequence being read, innermost group last.
  const stack: Node[][] = [[]];
  let seq = stack[0]!;
  let lastWasAtom = false;
  while (i < s.length) {
    const c = s[i++] ?? '';
    switch (c) {
      case '^':
      case '$':
        seq.push({ kind: 'assert', what: c });
        lastWasAtom = false;
        break;
      case '.':
        seq.push({ kind: 'set', ranges: negate([[0x0a, 0x0a]]) });
        lastWasAtom = true;
        break;
      case '(':
        seq = [];
        stack.push(seq);
        lastWasAtom = false;
        break;
      case ')': {
        if (stack.length === 1) throw new BadRegex('unexpected )');
        const body = stack.pop()!;
        seq = stack[stack.length - 1]!;
        seq.push({ kind: 'group', body });
        lastWasAtom = true;
        break;
      }
      case '*':
      case '?':
      case '+': {
        if (!lastWasAtom) throw new BadRegex('missing argument to repetition operator');
        // A second quantifier would be Go's lazy form or an error; docker's patterns never produce one.
        if (s[i] === '*' || s[i] === '+' || s[i] === '?') throw new BadRegex('nested repetition');
        seq.push({ kind: 'repeat', op: c, node: seq.pop()! });
        lastWasAtom = false;
        break;
      }
      case '[':
        seq.push({ kind: 'set', ranges: parseClass() });
        lastWasAtom = true;
        break;
      case '\\': {
        if (s[i] === 'Q') {
          i++;
          while (i < s.length && !(s[i] === '\\' && s[i + 1] === 'E')) seq.push(single(cp(s[i++])));
          if (i < s.length) i += 2;
          lastWasAtom = true;
          break;
        }
        if (s[i] === 'p' || s[i] === 'P') throw new BadRegex('unicode classes unsupported');
        const e = escape(false);
        if (e.assertion !== undefined) {
          seq.push({ kind: 'assert', what: e.assertion });
          lastWasAtom = false;
        } else {
          seq.push(e.ranges !== undefined ? { kind: 'set', ranges: e.ranges } : single(e.literal ?? 0));
          lastWasAtom = true;
        }
        break;
      }
      default:
        seq.push(single(cp(c)));
        lastWasAtom = true;
    }
  }
  if (stack.length !== 1) throw new BadRegex('missing )');
  return seq;
}

/** One instruction; `set` and `assert` go on to the next one. */
type Inst =
  | { op: 'set'; ranges: Ranges }
  | { op: 'assert'; what: Assertion }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; to: number }
  | { op: 'match' };

function compile(nodes: Node[]): Inst[] {
  const prog: Inst[] = [];
  const emit = (node: Node): void => {
    switch (node.kind) {
      case 'set':
        prog.push({ op: 'set', ranges: node.ranges });
        return;
      case 'assert':
        prog.push({ op: 'assert', what: node.what });
        return;
      case 'group':
        for (const n of node.body) emit(n);
        return;
      case 'repeat': {
        if (node.op === '+') {
          const start = prog.length;
          emit(node.node);
          prog.push({ op: 'split', x: start, y: prog.length + 1 });
          return;
        }
        const split = { op: 'split' as const, x: prog.length + 1, y: 0 };
        prog.push(split);
        emit(node.node);
        if (node.op === '*') prog.push({ op: 'jmp', to: split.x - 1 });
        split.y = prog.length;
      }
    }
  };
  for (const n of nodes) emit(n);
  prog.push({ op: 'match' });
  return prog;
}

const isWord = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x61 && c <= 0x7a);

const OP_SET = 0;
const OP_ASSERT = 1;
const OP_SPLIT = 2;
const OP_JMP = 3;
const OP_MATCH = 4;

/** A code point set with a lookup table for ASCII, the common case in paths. */
class CodePointSet {
  private readonly ascii = new Uint8Array(128);
  private readonly wide: Ranges;

  constructor(ranges: Ranges) {
    for (const [lo, hi] of ranges) for (let c = lo; c <= Math.min(hi, 127); c++) this.ascii[c] = 1;
    this.wide = ranges.filter(([, hi]) => hi >= 128);
  }

  has(c: number): boolean {
    if (c < 128) return this.ascii[c] === 1;
    for (const [lo, hi] of this.wide) if (c >= lo && c <= hi) return true;
    return false;
  }
}

/** Which matcher runs a pattern: `auto` picks; the tests compare the other two. */
export type Re2Engine = 'auto' | 'vm' | 'regexp';

/**
 * A matcher for `src` with Go's regexp.MatchString meaning (the match may start anywhere;
 * docker's patterns anchor themselves with `^` and `$`). An anchored pattern with at most two
 * unbounded repetitions (what `*.log`, or a `**` and a `*`, become) runs as a JS RegExp, the
 * fastest for it, whose backtracking then costs at most quadratic time in the path; any other
 * runs on the Pike VM.
 * @throws BadRegex where Go's regexp.Compile would fail.
 */
export function compileRe2(src: string, engine: Re2Engine = 'auto'): (text: string) => boolean {
  const nodes = parse(src);
  // Only anchored: an unanchored V8 search also starts inside a surrogate pair (/\B/u matches "a😀a" there).
  const anchored = nodes[0]?.kind === 'assert' && nodes[0].what === '^';
  if (engine === 'regexp' || (engine === 'auto' && anchored && unboundedRepeats(nodes) <= 2)) {
    const re = new RegExp(nodes.map(jsSource).join(''), 'u');
    return (text) => re.test(text);
  }
  return pikeVm(nodes);
}

function unboundedRepeats(nodes: Node[]): number {
  let count = 0;
  for (const node of nodes) {
    if (node.kind === 'group') count += unboundedRepeats(node.body);
    else if (node.kind === 'repeat') count += (node.op === '?' ? 0 : 1) + unboundedRepeats([node.node]);
  }
  return count;
}

const lit = (cp: number): string => `\\u{${cp.toString(16)}}`;

/** The JS `u`-flag source with the node's Go meaning. */
function jsSource(node: Node): string {
  switch (node.kind) {
    case 'set':
      if (node.ranges.length === 0) return '[^\\u{0}-\\u{10ffff}]';
      return `[${node.ranges.map(([lo, hi]) => (lo === hi ? lit(lo) : `${lit(lo)}-${lit(hi)}`)).join('')}]`;
    case 'assert':
      // Without the `m` flag JS's ^ and $ are the text's ends; its \b is ASCII, as Go's.
      return node.what === 'b' ? '\\b' : node.what === 'B' ? '\\B' : node.what;
    case 'group':
      return `(?:${node.body.map(jsSource).join('')})`;
    case 'repeat':
      return `${jsSource(node.node)}${node.op}`;
  }
}

/** Runs the program as a Pike VM: O(text × program) for any pattern. */
function pikeVm(nodes: Node[]): (text: string) => boolean {
  const prog = compile(nodes);
  const size = prog.length;
  // The program in flat arrays: opcode, two operands (split's targets, jmp's target, the assertion), the sets.
  const ops = new Uint8Array(size);
  const arg1 = new Int32Array(size);
  const arg2 = new Int32Array(size);
  const sets: (CodePointSet | undefined)[] = [];
  const assertions: Assertion[] = [];
  prog.forEach((inst, pc) => {
    switch (inst.op) {
      case 'set':
        ops[pc] = OP_SET;
        sets[pc] = new CodePointSet(inst.ranges);
        break;
      case 'assert':
        ops[pc] = OP_ASSERT;
        assertions[pc] = inst.what;
        break;
      case 'split':
        ops[pc] = OP_SPLIT;
        arg1[pc] = inst.x;
        arg2[pc] = inst.y;
        break;
      case 'jmp':
        ops[pc] = OP_JMP;
        arg1[pc] = inst.to;
        break;
      case 'match':
        ops[pc] = OP_MATCH;
    }
  });
  // A pattern that starts with `^` (as docker's all do) can only match from the text's start.
  const anchored = ops[0] === OP_ASSERT && assertions[0] === '^';
  // Reused across calls: `seen[pc] === generation` marks a thread already added at this position.
  const seen = new Int32Array(size).fill(-1);
  let generation = 0;
  let current = new Int32Array(size);
  let next = new Int32Array(size);
  const pending = new Int32Array(size * 2 + 2);
  let text = '';

  /**
   * Adds the thread at `start` and all it reaches without reading a character at `pos` (a
   * UTF-16 index) to `list`, which holds `count`; the new count, or -1 when one of them matches.
   */
  const add = (list: Int32Array, count: number, start: number, pos: number, gen: number): number => {
    let top = 0;
    pending[top++] = start;
    while (top > 0) {
      const pc = pending[--top]!;
      if (seen[pc] === gen) continue;
      seen[pc] = gen;
      switch (ops[pc]) {
        case OP_MATCH:
          return -1;
        case OP_JMP:
          pending[top++] = arg1[pc]!;
          break;
        case OP_SPLIT:
          pending[top++] = arg2[pc]!;
          pending[top++] = arg1[pc]!;
          break;
        case OP_ASSERT: {
          const what = assertions[pc];
          // Word characters are ASCII, so one UTF-16 unit on each side decides a boundary.
          const before = pos > 0 && isWord(text.charCodeAt(pos - 1));
          const after = pos < text.length && isWord(text.charCodeAt(pos));
          const holds = what === '^' ? pos === 0 : what === '$' ? pos === text.length : what === 'b' ? before !== after : before === after;
          if (holds) pending[top++] = pc + 1;
          break;
        }
        default:
          list[count++] = pc;
      }
    }
    return count;
  };

  return (input: string): boolean => {
    text = input;
    const n = text.length;
    if (generation > 0x3fffffff - n) {
      seen.fill(-1);
      generation = 0;
    }
    const base = generation;
    generation += n + 1;
    let count = 0;
    for (let pos = 0; pos <= n;) {
      // Threads carried from the previous position were added under this generation already.
      if (pos === 0 || !anchored) {
        count = add(current, count, 0, pos, base + pos);
        if (count < 0) return true;
      }
      if (pos === n || (anchored && count === 0)) break;
      const c = text.codePointAt(pos)!;
      const after = pos + (c > 0xffff ? 2 : 1);
      let nextCount = 0;
      for (let t = 0; t < count; t++) {
        const pc = current[t]!;
        if (sets[pc]!.has(c)) {
          nextCount = add(next, nextCount, pc + 1, after, base + after);
          if (nextCount < 0) return true;
        }
      }
      const swap = current;
      current = next;
      next = swap;
      count = nextCount;
      pos = after;
    }
    return false;
  };
}
