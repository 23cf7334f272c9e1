/**
 * The few pieces of Go's formatting and parsing that leak into Dockerfile semantics:
 * BuildKit writes history with `%q` and `%v`, and parses flag values with strconv and
 * time.ParseDuration, so their exact behaviour (and error wording) is part of the format.
 */
import { quoteString } from '@strata/go-template';
import { DetailError } from './errors.ts';

/** Go's `fmt.Sprintf("%q", []string{...})`: `["a" "b c"]`. */
export function goQuoteSlice(items: readonly string[]): string {
  // Not map(quoteString): its second parameter (ASCII only) would get the index.
  return `[${items.map((item) => quoteString(item)).join(' ')}]`;
}

/** Go's `fmt.Sprintf("%v", []string{...})`: `[a b c]`. */
export function goSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** Go's strconv.ParseBool, or undefined for anything it rejects. */
export function parseGoBool(s: string): boolean | undefined {
  switch (s) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false;
  }
  return undefined;
}

/** Go's strconv.ParseUint(s, base, bits) for base 8 or 10 (no sign, no underscores), or undefined. */
export function parseGoUint(s: string, base: 8 | 10, bits: number): number | undefined {
  const re = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!re.test(s)) return undefined;
  const v = BigInt(base === 8 ? `0o${s}` : s);
  if (v >= 1n << BigInt(bits)) return undefined;
  return Number(v);
}

/** Go's strconv.ParseInt(s, 10, 32) with its error text. */
export function parseGoInt32(s: string): number {
  const m = /^[+-]?[0-9]+$/.test(s);
  if (!m) throw new DetailError(`strconv.ParseInt: parsing ${quoteString(s)}: invalid syntax`);
  const v = BigInt(s);
  if (v > 2147483647n || v < -2147483648n) {
    throw new DetailError(`strconv.ParseInt: parsing ${quoteString(s)}: value out of range`);
  }
  return Number(v);
}

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n, // U+00B5 micro sign
  'μs': 1000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_DURATION = (1n << 63n) - 1n;

/** Go's time.ParseDuration: nanoseconds as a bigint; throws with Go's message. */
export function parseGoDuration(orig: string): bigint {
  let s = orig;
  let neg = false;
  const invalid = (): DetailError => new DetailError(`time: invalid duration ${quoteString(orig)}`);
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    // The number: integer part, optional fraction.
    const m = /^([0-9]*)(\.([0-9]*))?/.exec(s);
    const intPart = m?.[1] ?? '';
    const fracPart = m?.[3] ?? '';
    const hasDot = m?.[2] !== undefined;
    if (intPart === '' && fracPart === '') throw invalid();
    s = s.slice((m?.[0] ?? '').length);
    let unitEnd = 0;
    while (unitEnd < s.length && s[unitEnd] !== '.' && !/[0-9]/.test(s[unitEnd] ?? '')) unitEnd++;
    const unitName = s.slice(0, unitEnd);
    if (unitName === '') throw new DetailError(`time: missing unit in duration ${quoteString(orig)}`);
    const unit = UNITS[unitName];
    if (unit === undefined) {
      throw new DetailError(`time: unknown unit ${quoteString(unitName)} in duration ${quoteString(orig)}`);
    }
    s = s.slice(unitEnd);
    let v = BigInt(intPart === '' ? '0' : intPart) * unit;
    if (hasDot && fracPart !== '') {
      // Truncates like Go does: scale the fraction by the unit, drop the remainder.
      const scale = 10n ** BigInt(fracPart.length);
      v += (BigInt(fracPart) * unit) / scale;
    }
    total += v;
    if (total > MAX_DURATION) throw invalid();
  }
  return neg ? -total : total;
}

/** Go's time.Duration.String: `0s`, `1.5s`, `5m0s`, `1h0m0s`, `300ms`, `2µs`. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    let unit: string;
    let scale: bigint;
    if (u < 1000n) { unit = 'ns'; scale = 1n; }
    else if (u < 1_000_000n) { unit = 'µs'; scale = 1000n; }
    else { unit = 'ms'; scale = 1_000_000n; }
    out = fraction(u, scale) + unit;
  } else {
    const secs = fraction(u % 60_000_000_000n, 1_000_000_000n) + 's';
    u /= 60_000_000_000n;
    if (u === 0n) {
      out = secs;
    } else {
      const mins = `${u % 60n}m`;
      u /= 60n;
      out = u === 0n ? mins + secs : `${u}h${mins}${secs}`;
    }
  }
  return neg ? `-${out}` : out;
}

function fraction(v: bigint, scale: bigint): string {
  const whole = v / scale;
  let frac = (v % scale).toString().padStart(scale.toString().length - 1, '0').replace(/0+$/, '');
  if (scale === 1n) frac = '';
  return frac === '' ? `${whole}` : `${whole}.${frac}`;
}

/** Go's unicode.IsSpace. */
export function isGoSpace(ch: string): boolean {
  switch (ch) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case '\u0085': case '\u00a0':
      return true;
  }
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x1680) return false;
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 ||
    cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

/** Go's strings.TrimLeftFunc(s, unicode.IsSpace). */
export function goTrimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length) {
    const ch = String.fromCodePoint(s.codePointAt(i) ?? 0);
    if (!isGoSpace(ch)) break;
    i += ch.length;
  }
  return s.slice(i);
}

/** Go's strings.TrimRightFunc(s, unicode.IsSpace). */
export function goTrimRightSpace(s: string): string {
  let end = s.length;
  while (end > 0) {
    const ch = s[end - 1] ?? '';
    // Every Go space is in the BMP, so one code unit decides.
    if (!isGoSpace(ch)) break;
    end--;
  }
  return s.slice(0, end);
}

/** Go's strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  return goTrimRightSpace(goTrimLeftSpace(s));
}

/** Go's path.Clean (slash-separated, lexical): `a//b/../c/.` becomes `a/c`, `` becomes `.`. */
export function goCleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go's path.Join: the non-empty elements joined with `/`, then cleaned. */
export function goJoinPath(...elems: string[]): string {
  const nonEmpty = elems.filter((e) => e !== '');
  return nonEmpty.length === 0 ? '' : goCleanPath(nonEmpty.join('/'));
}
