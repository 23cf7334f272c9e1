/**
 * Go's fmt package for the values templates handle: Sprint, Sprintln, Sprintf and the
 * `%v` printing rules (`[a b]`, `map[k:v]` with sorted keys, `{f1 f2}`, `<nil>`).
 */
import { goTimeString } from './time.ts';
import { canBackquote, formatFloat, isPrintRune, quoteRune, quoteString } from './strconv.ts';
import {
  GoFloat,
  GoStruct,
  goTypeName,
  isGoInt,
  isPlainObject,
  sortedEntries,
  structFields,
} from './values.ts';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  prec: number;
}

function newFlags(): Flags {
  return { plus: false, minus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false, wid: -1, prec: -1 };
}

const NO_FLAGS: Flags = Object.freeze(newFlags());

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || s.charCodeAt(i - 1) < 0xd800 || s.charCodeAt(i - 1) > 0xdbff) n++;
  }
  return n;
}

/** Pads to the width with spaces (or zeros), left or right, counting runes as Go does. */
function pad(s: string, f: Flags): string {
  if (f.wid < 0) return s;
  const n = f.wid - runeCount(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  return (f.zero ? '0' : ' ').repeat(n) + s;
}

function truncateRunes(s: string, prec: number): string {
  if (prec < 0) return s;
  let n = 0;
  let i = 0;
  for (const cp of s) {
    if (n === prec) return s.slice(0, i);
    n++;
    i += cp.length;
  }
  return s;
}

type Verb = string;

class Printer {
  out = '';
  f: Flags = NO_FLAGS;

  badVerb(verb: Verb, arg: unknown): void {
    this.out += '%!' + verb + '(';
    if (arg === null || arg === undefined) {
      this.out += '<nil>';
    } else {
      this.out += goTypeName(arg) + '=';
      this.printArg(arg, 'v');
    }
    this.out += ')';
  }

  fmtBool(v: boolean, verb: Verb, arg: unknown): void {
    if (verb === 't' || verb === 'v') this.out += pad(v ? 'true' : 'false', { ...this.f, zero: false });
    else this.badVerb(verb, arg);
  }

  fmtInteger(v: bigint, verb: Verb, arg: unknown): void {
    const f = this.f;
    switch (verb) {
      case 'v':
        if (f.sharpV) return this.fmtIntBase(v, 10, false, verb);
        return this.fmtIntBase(v, 10, false, verb);
      case 'd':
        return this.fmtIntBase(v, 10, false, verb);
      case 'b':
        return this.fmtIntBase(v, 2, false, verb);
      case 'o':
      case 'O':
        return this.fmtIntBase(v, 8, false, verb);
      case 'x':
        return this.fmtIntBase(v, 16, false, verb);
      case 'X':
        return this.fmtIntBase(v, 16, true, verb);
      case 'c':
        this.out += pad(String.fromCodePoint(validRune(v)), f);
        return;
      case 'q':
        this.out += pad(quoteRune(Number(v), f.plus), f);
        return;
      case 'U': {
        // Go formats the integer as a uint64: a negative one is its two's complement.
        let s = 'U+' + BigInt.asUintN(64, v).toString(16).toUpperCase().padStart(Math.max(4, f.prec), '0');
        if (f.sharp && v >= 0n && v <= 0x10ffffn && isPrintRune(Number(v))) s += " '" + String.fromCodePoint(Number(v)) + "'";
        this.out += pad(s, { ...f, zero: false });
        return;
      }
      default:
        this.badVerb(verb, arg);
    }
  }

  fmtIntBase(v: bigint, base: number, upper: boolean, verb: Verb): void {
    const f = this.f;
    const neg = v < 0n;
    let digits = (neg ? -v : v).toString(base);
    if (upper) digits = digits.toUpperCase();
    if (f.prec === 0 && v === 0n) {
      // Precision 0 and value 0 print nothing but the padding: no sign, no prefix (as Go).
      this.out += pad('', { ...f, zero: false });
      return;
    }
    if (f.prec >= 0) digits = digits.padStart(f.prec, '0');
    let prefix = '';
    if (f.sharp) {
      if (base === 16) prefix = upper ? '0X' : '0x';
      else if (base === 8 && !digits.startsWith('0')) prefix = '0';
      else if (base === 2) prefix = '0b';
    }
    if (verb === 'O') prefix = '0o';
    let sign = '';
    if (neg) sign = '-';
    else if (f.plus) sign = '+';
    else if (f.space) sign = ' ';
    // Zero padding goes between the sign/prefix and the digits, and only without a precision.
    if (f.zero && !f.minus && f.wid >= 0 && f.prec < 0) {
      const n = f.wid - sign.length - prefix.length - digits.length;
      if (n > 0) digits = '0'.repeat(n) + digits;
      this.out += sign + prefix + digits;
      return;
    }
    this.out += pad(sign + prefix + digits, { ...f, zero: false });
  }

  fmtFloat(v: number, verb: Verb, arg: unknown): void {
    const f = this.f;
    let fmt: string;
    let prec: number;
    switch (verb) {
      case 'v':
        fmt = 'g';
        prec = -1;
        break;
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        fmt = verb;
        prec = -1;
        break;
      case 'f':
      case 'F':
        fmt = 'f';
        prec = 6;
        break;
      case 'e':
      case 'E':
        fmt = verb;
        prec = 6;
        break;
      default:
        this.badVerb(verb, arg);
        return;
    }
    if (f.prec >= 0) prec = f.prec;
    let num = formatFloat(v, fmt, prec);
    if (f.sharp && fmt !== 'b') num = sharpFloat(num, fmt, prec);
    // Reserve a sign position as Go does, then decide whether to show it.
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (f.space && num[0] === '+' && !f.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      if (num[1] === 'N' && !f.space && !f.plus) num = num.slice(1);
      this.out += pad(num, { ...f, zero: false });
      return;
    }
    if (f.plus || num[0] !== '+') {
      if (f.zero && !f.minus && f.wid > num.length) {
        this.out += num[0] + '0'.repeat(f.wid - num.length) + num.slice(1);
        return;
      }
      this.out += pad(num, f);
      return;
    }
    this.out += pad(num.slice(1), f);
  }

  fmtString(s: string, verb: Verb, arg: unknown): void {
    const f = this.f;
    switch (verb) {
      case 'v':
        if (f.sharpV) {
          this.out += pad(quoteString(s), f);
          return;
        }
        this.out += pad(truncateRunes(s, f.prec), f);
        return;
      case 's':
        this.out += pad(truncateRunes(s, f.prec), f);
        return;
      case 'x':
      case 'X':
        this.out += pad(hexBytes(Buffer.from(truncateRunes(s, f.prec), 'utf8'), verb === 'X', f), f);
        return;
      case 'q': {
        const t = truncateRunes(s, f.prec);
        this.out += pad(f.sharp && canBackquote(t) ? '`' + t + '`' : quoteString(t, f.plus), f);
        return;
      }
      default:
        this.badVerb(verb, arg);
    }
  }

  /** Stringer and error values print through their method for these verbs. */
  handleMethods(arg: unknown, verb: Verb): boolean {
    if (this.f.sharpV) return false;
    if (verb !== 'v' && verb !== 's' && verb !== 'x' && verb !== 'X' && verb !== 'q') return false;
    let s: string | undefined;
    if (arg instanceof Date) s = goTimeString(arg);
    else if (arg instanceof Error) s = arg.message;
    else if (arg instanceof GoStruct) {
      const m = arg.fields['Error'] ?? arg.fields['String'];
      if (typeof m === 'function' && m.length === 0) s = String((m as () => unknown).call(arg.fields));
    }
    if (s === undefined) return false;
    this.fmtString(s, verb, s);
    return true;
  }

  printArg(arg: unknown, verb: Verb): void {
    if (arg === null || arg === undefined) {
      if (verb === 'T' || verb === 'v') this.out += pad('<nil>', this.f);
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.out += pad(goTypeName(arg), this.f);
      return;
    }
    if (verb === 'p') {
      this.badVerb(verb, arg);
      return;
    }
    switch (typeof arg) {
      case 'boolean':
        return this.fmtBool(arg, verb, arg);
      case 'string':
        return this.fmtString(arg, verb, arg);
      case 'bigint':
        return this.fmtInteger(arg, verb, arg);
      case 'number':
        if (isGoInt(arg)) return this.fmtInteger(BigInt(arg), verb, arg);
        return this.fmtFloat(arg, verb, arg);
      default:
        break;
    }
    if (arg instanceof GoFloat) return this.fmtFloat(arg.value, verb, arg);
    if (this.handleMethods(arg, verb)) return;
    this.printValue(arg, verb, 0);
  }

  printValue(v: unknown, verb: Verb, depth: number): void {
    if (depth > 0) {
      if (v === null || v === undefined) {
        if (verb === 'v') this.out += this.f.sharpV ? 'interface {}(nil)' : '<nil>';
        else this.badVerb(verb, v);
        return;
      }
      if (this.handleMethods(v, verb)) return;
      if (typeof v !== 'object' && typeof v !== 'function') return this.printArg(v, verb);
      if (v instanceof GoFloat) return this.printArg(v, verb);
    }
    const f = this.f;
    if (Array.isArray(v) || v instanceof Uint8Array) {
      if (v instanceof Uint8Array && (verb === 's' || verb === 'q' || verb === 'x' || verb === 'X')) {
        if (verb === 's') this.out += pad(truncateRunes(Buffer.from(v).toString('utf8'), f.prec), f);
        else if (verb === 'q') this.fmtString(Buffer.from(v).toString('utf8'), 'q', v);
        else this.out += pad(hexBytes(v, verb === 'X', f), f);
        return;
      }
      if (f.sharpV) {
        this.out += goTypeName(v) + '{';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) this.out += ', ';
          this.printValue(v[i], verb, depth + 1);
        }
        this.out += '}';
        return;
      }
      this.out += '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.out += ' ';
        this.printValue(v[i], verb, depth + 1);
      }
      this.out += ']';
      return;
    }
    if (v instanceof GoStruct) {
      if (f.sharpV) this.out += v.typeName.replace(/^\*/, '');
      this.out += '{';
      let i = 0;
      for (const [name, value] of structFields(v)) {
        if (i++ > 0) this.out += f.sharpV ? ', ' : ' ';
        if (f.plusV || f.sharpV) this.out += name + ':';
        this.printValue(value, verb, depth + 1);
      }
      this.out += '}';
      return;
    }
    if (v instanceof Map || isPlainObject(v)) {
      this.out += f.sharpV ? goTypeName(v) + '{' : 'map[';
      let i = 0;
      for (const [k, value] of sortedEntries(v)) {
        if (i++ > 0) this.out += f.sharpV ? ', ' : ' ';
        this.printValue(k, verb, depth + 1);
        this.out += ':';
        this.printValue(value, verb, depth + 1);
      }
      this.out += f.sharpV ? '}' : ']';
      return;
    }
    if (typeof v === 'function') {
      this.out += pad('0x' + '0'.repeat(6), f);
      return;
    }
    if (depth === 0 && (v === null || v === undefined)) {
      this.out += '<invalid reflect.Value>';
      return;
    }
    this.printArg(String(v), verb);
  }

  private goodArgNum = true;
  private reordered = false;

  doPrintf(format: string, args: readonly unknown[]): void {
    const end = format.length;
    let argNum = 0;
    let afterIndex: boolean;
    this.reordered = false;
    let i = 0;
    while (i < end) {
      this.goodArgNum = true;
      const lasti = i;
      while (i < end && format.charCodeAt(i) !== 37) i++;
      if (i > lasti) this.out += format.slice(lasti, i);
      if (i >= end) break;
      i++; // skip %
      const f = newFlags();
      this.f = f;
      flags: for (; i < end; i++) {
        switch (format[i]) {
          case '#': f.sharp = true; break;
          case '0': f.zero = !f.minus; break;
          case '+': f.plus = true; break;
          case '-': f.minus = true; f.zero = false; break;
          case ' ': f.space = true; break;
          default: break flags;
        }
      }
      [argNum, i, afterIndex] = this.argNumber(argNum, format, i, args.length);
      if (i < end && format[i] === '*') {
        i++;
        const [w, ok, next] = intFromArg(args, argNum);
        argNum = next;
        f.wid = ok ? w : -1;
        if (!ok) this.out += '%!(BADWIDTH)';
        if (ok && w < 0) {
          f.wid = -w;
          f.minus = true;
          f.zero = false;
        }
        afterIndex = false;
      } else {
        const [w, ok, next] = parseNum(format, i, end);
        if (ok) f.wid = w;
        i = next;
        if (afterIndex && ok) this.goodArgNum = false;
      }
      if (i + 1 < end && format[i] === '.') {
        i++;
        if (afterIndex) this.goodArgNum = false;
        [argNum, i, afterIndex] = this.argNumber(argNum, format, i, args.length);
        if (i < end && format[i] === '*') {
          i++;
          const [p, ok, next] = intFromArg(args, argNum);
          argNum = next;
          const present = ok && p >= 0;
          f.prec = present ? p : -1;
          if (!present) this.out += '%!(BADPREC)';
          afterIndex = false;
        } else {
          const [p, ok, next] = parseNum(format, i, end);
          f.prec = ok ? p : 0;
          i = next;
        }
      }
      if (!afterIndex) [argNum, i] = this.argNumber(argNum, format, i, args.length);
      if (i >= end) {
        this.out += '%!(NOVERB)';
        break;
      }
      const cp = format.codePointAt(i) ?? 0;
      const verb = String.fromCodePoint(cp);
      i += verb.length;
      if (verb === '%') {
        this.out += '%';
        continue;
      }
      if (!this.goodArgNum) {
        this.out += '%!' + verb + '(BADINDEX)';
        continue;
      }
      if (argNum >= args.length) {
        this.out += '%!' + verb + '(MISSING)';
        continue;
      }
      if (verb === 'w') {
        this.badVerb(verb, args[argNum]);
        argNum++;
        continue;
      }
      if (verb === 'v') {
        if (f.sharp) {
          f.sharp = false;
          f.sharpV = true;
        }
        if (f.plus) {
          f.plus = false;
          f.plusV = true;
        }
      }
      this.printArg(args[argNum], verb);
      argNum++;
    }
    if (!this.reordered && argNum < args.length) {
      this.f = NO_FLAGS;
      this.out += '%!(EXTRA ';
      for (let k = argNum; k < args.length; k++) {
        if (k > argNum) this.out += ', ';
        const a = args[k];
        if (a === null || a === undefined) this.out += '<nil>';
        else {
          this.out += goTypeName(a) + '=';
          this.printArg(a, 'v');
        }
      }
      this.out += ')';
    }
  }

  /** Parses an explicit argument index `[n]` (Go's argNumber). */
  argNumber(argNum: number, format: string, i: number, numArgs: number): [number, number, boolean] {
    if (i >= format.length || format[i] !== '[') return [argNum, i, false];
    this.reordered = true;
    const [index, wid, ok] = parseArgNumber(format.slice(i));
    if (ok && index >= 0 && index < numArgs) return [index, i + wid, true];
    this.goodArgNum = false;
    return [argNum, i + wid, ok];
  }
}

function parseArgNumber(format: string): [number, number, boolean] {
  if (format.length < 3) return [0, 1, false];
  for (let i = 1; i < format.length; i++) {
    if (format[i] === ']') {
      const [width, ok, newi] = parseNum(format, 1, i);
      if (!ok || newi !== i) return [0, i + 1, false];
      return [width - 1, i + 1, true];
    }
  }
  return [0, 1, false];
}

function parseNum(s: string, i: number, end: number): [number, boolean, number] {
  let n = 0;
  let ok = false;
  if (i >= end) return [0, false, end];
  while (i < end && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
    if (n > 1e6 || n < -1e6) return [0, false, end];
    n = n * 10 + (s.charCodeAt(i) - 48);
    ok = true;
    i++;
  }
  return [n, ok, i];
}

function intFromArg(args: readonly unknown[], argNum: number): [number, boolean, number] {
  if (argNum >= args.length) return [0, false, argNum];
  const a = args[argNum];
  if (isGoInt(a)) {
    const n = Number(a);
    if (n > 1e6 || n < -1e6) return [0, false, argNum + 1];
    return [n, true, argNum + 1];
  }
  return [0, false, argNum + 1];
}

function validRune(v: bigint): number {
  if (v < 0n || v > 0x10ffffn || (v >= 0xd800n && v <= 0xdfffn)) return 0xfffd;
  return Number(v);
}

function hexBytes(b: Uint8Array, upper: boolean, f: Flags): string {
  const digits = upper ? '0123456789ABCDEF' : '0123456789abcdef';
  let n = b.length;
  if (f.prec >= 0 && f.prec < n) n = f.prec;
  let out = '';
  for (let i = 0; i < n; i++) {
    const c = b[i] ?? 0;
    if (f.space && i > 0) out += ' ';
    if (f.sharp && (f.space || i === 0)) out += upper ? '0X' : '0x';
    out += (digits[c >> 4] ?? '') + (digits[c & 15] ?? '');
  }
  return out;
}

/** `%#g` and friends keep the decimal point (and `%#g` trailing zeros). */
function sharpFloat(num: string, fmt: string, prec: number): string {
  if (/Inf|NaN/.test(num)) return num;
  const expAt = num.search(/[eEpP]/);
  const mant = expAt >= 0 ? num.slice(0, expAt) : num;
  const tail = expAt >= 0 ? num.slice(expAt) : '';
  let m = mant;
  if (!m.includes('.')) m += '.';
  if (fmt === 'g' || fmt === 'G') {
    const digits = prec < 0 ? 6 : prec === 0 ? 1 : prec;
    const sig = m.replace(/^[-+]?0*\.?0*/, '').replace('.', '').length;
    const have = m.replace(/^[-+]/, '').replace('.', '').replace(/^0+/, '').length;
    const want = digits - (have === 0 ? 1 : sig);
    if (want > 0) m += '0'.repeat(want);
  }
  return m + tail;
}

/** Go's fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  const p = new Printer();
  let prevString = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) p.out += ' ';
    p.printArg(a, 'v');
    prevString = isString;
  }
  return p.out;
}

/** Go's fmt.Sprintln: spaces between all operands and a newline. */
export function sprintln(args: readonly unknown[]): string {
  const p = new Printer();
  for (let i = 0; i < args.length; i++) {
    if (i > 0) p.out += ' ';
    p.printArg(args[i], 'v');
  }
  return p.out + '\n';
}

/** Go's fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  const p = new Printer();
  p.doPrintf(format, args);
  return p.out;
}

/** The text `{{.}}` prints for one value (fmt.Fprint of a single operand). */
export function printOne(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && isGoInt(v)) return String(v);
  const p = new Printer();
  p.printArg(v, 'v');
  return p.out;
}
