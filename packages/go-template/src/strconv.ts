/**
 * Go's strconv number and string formatting (FormatFloat, Quote), bit for bit.
 *
 * Floats: the shortest digits come from JavaScript (both languages pick the shortest
 * string that reads back to the same float, the closest one on ties); fixed-precision
 * digits come from the exact binary value, rounded half to even as Go does
 * (`%.0f` of 2.5 is `2`, `%.2f` of 0.125 is `0.12`; JavaScript's toFixed says `3`, `0.13`).
 */

interface Decimal {
  /** Significant digits without leading zeros; "" for zero. */
  digits: string;
  /** Position of the decimal point: value = 0.digits × 10^dp. */
  dp: number;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The float as mant × 2^exp with an integral mant (53 bits for normal numbers). */
function decompose(x: number): { mant: bigint; exp: number } {
  f64[0] = Math.abs(x);
  const hi = u32[littleEndian ? 1 : 0] ?? 0;
  const lo = u32[littleEndian ? 0 : 1] ?? 0;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) {
    exp = -1074;
  } else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  return { mant, exp };
}

/** The exact decimal expansion of a finite float. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 };
  const { mant, exp } = decompose(x);
  let s: string;
  let dp: number;
  if (exp >= 0) {
    s = (mant << BigInt(exp)).toString();
    dp = s.length;
  } else {
    // mant / 2^k = mant × 5^k / 10^k
    const k = -exp;
    s = (mant * 5n ** BigInt(k)).toString();
    dp = s.length - k;
  }
  return trimDecimal(s, dp);
}

function trimDecimal(s: string, dp: number): Decimal {
  let start = 0;
  while (start < s.length && s.charCodeAt(start) === 48) {
    start++;
    dp--;
  }
  let end = s.length;
  while (end > start && s.charCodeAt(end - 1) === 48) end--;
  if (start === end) return { digits: '', dp: 0 };
  return { digits: s.slice(start, end), dp };
}

/** The shortest decimal that reads back as x. */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 };
  const e = Math.abs(x).toExponential();
  const at = e.indexOf('e');
  const mantissa = e.slice(0, at).replace('.', '');
  const exp = Number(e.slice(at + 1));
  return trimDecimal(mantissa, exp + 1);
}

/** Rounds to nd significant digits, half to even on an exact tie (Go's decimal.Round). */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd < 0) return { digits: '', dp: 0 };
  if (nd >= d.digits.length) return d;
  const next = d.digits.charCodeAt(nd) - 48;
  let up: boolean;
  if (next === 5 && nd + 1 === d.digits.length) {
    up = nd > 0 && (d.digits.charCodeAt(nd - 1) - 48) % 2 === 1;
  } else {
    up = next >= 5;
  }
  if (!up) return trimDecimal(d.digits.slice(0, nd), d.dp);
  // Round up: add one at position nd-1, carrying.
  const chars = d.digits.slice(0, nd).split('');
  let i = nd - 1;
  while (i >= 0 && chars[i] === '9') i--;
  if (i < 0) return { digits: '1', dp: d.dp + 1 };
  chars[i] = String.fromCharCode((chars[i] ?? '0').charCodeAt(0) + 1);
  return { digits: chars.slice(0, i + 1).join(''), dp: d.dp };
}

function digitAt(d: Decimal, i: number): string {
  return i >= 0 && i < d.digits.length ? (d.digits[i] ?? '0') : '0';
}

function fmtE(neg: boolean, d: Decimal, prec: number, e: string): string {
  let out = neg ? '-' : '';
  out += d.digits.length === 0 ? '0' : digitAt(d, 0);
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(d, i);
  }
  let exp = d.digits.length === 0 ? 0 : d.dp - 1;
  out += e;
  if (exp < 0) {
    out += '-';
    exp = -exp;
  } else {
    out += '+';
  }
  out += exp < 10 ? '0' + exp : String(exp);
  return out;
}

function fmtF(neg: boolean, d: Decimal, prec: number): string {
  let out = neg ? '-' : '';
  if (d.dp > 0) {
    const n = Math.min(d.digits.length, d.dp);
    out += d.digits.slice(0, n);
    for (let i = n; i < d.dp; i++) out += '0';
  } else {
    out += '0';
  }
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(d, d.dp + i - 1);
  }
  return out;
}

function fmtHexFloat(neg: boolean, x: number, prec: number, upper: boolean): string {
  let { mant, exp } = decompose(x);
  let out = neg ? '-' : '';
  if (mant === 0n) {
    out += '0x0';
    if (prec > 0) out += '.' + '0'.repeat(prec);
    out += 'p+00';
    return upper ? out.toUpperCase() : out;
  }
  // Normalise to 1.fffff × 2^e with 52 fraction bits.
  while (mant < 1n << 52n) {
    mant <<= 1n;
    exp--;
  }
  exp += 52;
  let frac = mant & ((1n << 52n) - 1n);
  let lead = 1n;
  let hex: string;
  if (prec >= 0 && prec < 13) {
    // Round the 13 hex digits of fraction to prec digits, half to even.
    const shift = BigInt(4 * (13 - prec));
    const half = 1n << (shift - 1n);
    const rem = frac & ((1n << shift) - 1n);
    frac >>= shift;
    if (rem > half || (rem === half && (frac & 1n) === 1n)) frac += 1n;
    if (frac >= 1n << BigInt(4 * prec)) {
      frac -= 1n << BigInt(4 * prec);
      lead += 1n;
      if (lead === 2n) {
        lead = 1n;
        exp++;
        frac >>= 1n;
      }
    }
    hex = prec === 0 ? '' : frac.toString(16).padStart(prec, '0');
  } else {
    hex = frac.toString(16).padStart(13, '0').replace(/0+$/, '');
    if (prec > 13) hex = hex.padEnd(prec, '0');
  }
  out += '0x' + lead.toString();
  if (hex.length > 0) out += '.' + hex;
  out += 'p' + (exp < 0 ? '-' : '+');
  const ae = Math.abs(exp);
  out += ae < 10 ? '0' + ae : String(ae);
  return upper ? out.toUpperCase() : out;
}

/**
 * Go's strconv.FormatFloat(x, fmt, prec, 64): fmt is one of b e E f g G x X,
 * prec -1 means the shortest representation that reads back exactly.
 */
export function formatFloat(x: number, fmt: string, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  if (fmt === 'x' || fmt === 'X') return fmtHexFloat(neg, x, prec, fmt === 'X');
  if (fmt === 'b') {
    const { mant, exp } = decompose(x);
    return (neg ? '-' : '') + mant.toString() + 'p' + (exp >= 0 ? '+' : '') + String(exp);
  }
  const shortest = prec < 0;
  let d: Decimal;
  if (shortest) {
    d = shortestDecimal(x);
    switch (fmt) {
      case 'e':
      case 'E':
        prec = Math.max(d.digits.length - 1, 0);
        break;
      case 'f':
        prec = Math.max(d.digits.length - d.dp, 0);
        break;
      default:
        prec = d.digits.length;
    }
  } else {
    const exact = exactDecimal(x);
    switch (fmt) {
      case 'e':
      case 'E':
        d = roundDecimal(exact, prec + 1);
        break;
      case 'f':
        d = roundDecimal(exact, exact.dp + prec);
        break;
      default:
        if (prec === 0) prec = 1;
        d = roundDecimal(exact, prec);
    }
  }
  switch (fmt) {
    case 'e':
    case 'E':
      return fmtE(neg, d, prec, fmt);
    case 'f':
      return fmtF(neg, d, prec);
    default: {
      // 'g' / 'G'
      let eprec = prec;
      if (eprec > d.digits.length && d.digits.length >= d.dp) eprec = d.digits.length;
      if (shortest) eprec = 6;
      const exp = d.dp - 1;
      if (d.digits.length !== 0 && (exp < -4 || exp >= eprec)) {
        if (prec > d.digits.length) prec = d.digits.length;
        return fmtE(neg, d, prec - 1, fmt === 'G' ? 'E' : 'e');
      }
      if (prec > d.dp) prec = d.digits.length;
      return fmtF(neg, d, Math.max(prec - d.dp, 0));
    }
  }
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrintRune(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  return printable.test(String.fromCodePoint(cp));
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** The runes of a string; a lone surrogate stands for an invalid byte (U+FFFD). */
export function* codePoints(s: string): Generator<number> {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        yield ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    yield c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
  }
}

function appendEscapedRune(out: string, cp: number, quote: number, asciiOnly: boolean): string {
  if (cp === quote || cp === 0x5c) return out + '\\' + String.fromCodePoint(cp);
  if (asciiOnly ? cp < 0x80 && isPrintRune(cp) : isPrintRune(cp)) return out + String.fromCodePoint(cp);
  switch (cp) {
    case 0x07:
      return out + '\\a';
    case 0x08:
      return out + '\\b';
    case 0x0c:
      return out + '\\f';
    case 0x0a:
      return out + '\\n';
    case 0x0d:
      return out + '\\r';
    case 0x09:
      return out + '\\t';
    case 0x0b:
      return out + '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return out + '\\x' + hex2(cp);
  if (cp < 0x10000) return out + '\\u' + cp.toString(16).padStart(4, '0');
  return out + '\\U' + cp.toString(16).padStart(8, '0');
}

/** Go's strconv.Quote (or QuoteToASCII). */
export function quoteString(s: string, asciiOnly = false): string {
  let out = '"';
  for (const cp of codePoints(s)) out = appendEscapedRune(out, cp, 0x22, asciiOnly);
  return out + '"';
}

/** Go's strconv.QuoteRune (or QuoteRuneToASCII). */
export function quoteRune(cp: number, asciiOnly = false): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0) cp = 0xfffd;
  return appendEscapedRune("'", cp, 0x27, asciiOnly) + "'";
}

/** Go's strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (const cp of codePoints(s)) {
    if (cp === 0xfffd && s.includes('\ufffd') === false) return false;
    if (cp === 0x60 || cp === 0xfeff) return false;
    if (cp < 0x20 && cp !== 0x09) return false;
    if (cp === 0x7f) return false;
  }
  return true;
}

/** Go's strconv.Unquote for the literal forms a template may contain. Returns undefined when invalid. */
export function unquote(lit: string): string | undefined {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) return undefined;
  const body = lit.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) return undefined;
    return body.replace(/\r/g, '');
  }
  if (q !== '"' && q !== "'") return undefined;
  // Go strings are bytes: escapes like \xc3\xa9 build UTF-8 that is decoded at the end.
  const bytes: number[] = [];
  const pushRune = (cp: number): void => {
    for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
  };
  let runes = 0;
  let i = 0;
  while (i < body.length) {
    const c = body[i] ?? '';
    if (c === q || c === '\n') return undefined;
    if (c !== '\\') {
      const cp = body.codePointAt(i) ?? 0;
      pushRune(cp);
      i += cp > 0xffff ? 2 : 1;
      runes++;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    runes++;
    switch (e) {
      case 'a': bytes.push(7); break;
      case 'b': bytes.push(8); break;
      case 'f': bytes.push(12); break;
      case 'n': bytes.push(10); break;
      case 'r': bytes.push(13); break;
      case 't': bytes.push(9); break;
      case 'v': bytes.push(11); break;
      case '\\': bytes.push(0x5c); break;
      case "'":
      case '"':
        if (e !== q) return undefined;
        bytes.push(e.charCodeAt(0));
        break;
      case 'x':
      case 'u':
      case 'U': {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const h = body.slice(i, i + n);
        if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) return undefined;
        const v = parseInt(h, 16);
        i += n;
        if (e === 'x' && q === '"') bytes.push(v);
        else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
        else pushRune(v);
        break;
      }
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        const o = body.slice(i - 1, i + 2);
        if (!/^[0-7]{3}$/.test(o)) return undefined;
        const v = parseInt(o, 8);
        if (v > 255) return undefined;
        i += 2;
        if (q === '"') bytes.push(v);
        else pushRune(v);
        break;
      }
      default:
        return undefined;
    }
  }
  if (q === "'" && runes !== 1) return undefined;
  return Buffer.from(bytes).toString('utf8');
}
