/**
 * Numeric and string fields of a tar header block: octal as ustar writes them, GNU
 * base-256 for values that do not fit, and NUL-terminated strings.
 */

/** Largest value an octal field of `width` bytes can hold with its terminator. */
export function octalMax(width: number): number {
  return 8 ** (width - 1) - 1;
}

/**
 * Reads a numeric field: GNU base-256 when the high bit of the first byte is set,
 * otherwise octal digits between optional leading spaces/NULs and a space/NUL terminator
 * (what GNU tar accepts). A blank field reads as 0. Returns NaN for anything else, and for
 * values outside JavaScript's safe integers.
 */
export function parseNumber(buf: Buffer, start: number, end: number): number {
  const first = buf[start] ?? 0;
  if ((first & 0x80) !== 0) return parseBase256(buf, start, end);
  let i = start;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x37) {
      value = value * 8 + (c - 0x30);
      digits++;
    } else if (c === 0x20 || c === 0) {
      break;
    } else {
      return NaN;
    }
  }
  if (digits === 0 && i < end) return NaN;
  return value <= Number.MAX_SAFE_INTEGER ? value : NaN;
}

function parseBase256(buf: Buffer, start: number, end: number): number {
  const negative = (buf[start]! & 0x40) !== 0;
  const inv = negative ? 0xff : 0;
  let x = 0n;
  for (let i = start; i < end; i++) {
    let c = buf[i]! ^ inv;
    if (i === start) c &= 0x7f;
    x = (x << 8n) | BigInt(c);
  }
  const value = negative ? -x - 1n : x;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return NaN;
  return Number(value);
}

/**
 * Writes `value` (a non-negative safe integer that fits) as zero-padded octal digits followed
 * by a NUL, filling the field.
 */
export function writeOctal(buf: Buffer, start: number, end: number, value: number): void {
  buf[end - 1] = 0;
  let v = value;
  for (let i = end - 2; i >= start; i--) {
    const digit = v % 8;
    buf[i] = 0x30 + digit;
    v = (v - digit) / 8;
  }
}

/** Writes `value` (non-negative) as GNU base-256: 0x80, then big-endian bytes. */
export function writeBase256(buf: Buffer, start: number, end: number, value: number): void {
  let x = BigInt(value);
  for (let i = end - 1; i > start; i--) {
    buf[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  buf[start] = 0x80;
}

/** Where a NUL-terminated field ends: its NUL, or `end` when it fills the field. */
function fieldEnd(buf: Buffer, start: number, end: number): number {
  const nul = buf.indexOf(0, start);
  return nul === -1 || nul > end ? end : nul;
}

/** A copy of a NUL-terminated field's bytes (a header outlives the chunk it was read from). */
export function copyField(buf: Buffer, start: number, end: number): Buffer {
  const stop = fieldEnd(buf, start, end);
  if (stop === start) return EMPTY;
  const out = Buffer.allocUnsafe(stop - start);
  buf.copy(out, 0, start, stop);
  return out;
}

/** A NUL-terminated field decoded as UTF-8. */
export function stringField(buf: Buffer, start: number, end: number): string {
  return buf[start] === 0 ? '' : buf.toString('utf8', start, fieldEnd(buf, start, end));
}

const EMPTY = Buffer.alloc(0);

export function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/**
 * The checksum of the header block at `block[at, at + 512)`, its own field counted as spaces:
 * the sum of unsigned bytes, or with `signed` of signed ones (as some old tars computed it).
 */
export function checksum(block: Buffer, at: number, signed: boolean): number {
  let sum = 8 * 0x20;
  for (let i = at; i < at + 148; i++) sum += block[i]!;
  for (let i = at + 156; i < at + 512; i++) sum += block[i]!;
  if (!signed) return sum;
  for (let i = at; i < at + 512; i++) if (block[i]! >= 0x80 && (i < at + 148 || i >= at + 156)) sum -= 256;
  return sum;
}
