/**
 * PAX extended header records: `"%d %s=%s\n"`, where the length counts the whole
 * record including its own digits. Values stay Buffers: xattr values are binary.
 */

/** Parses the body of an `x` or `g` header; throws a plain Error saying what is wrong. */
export function parsePaxRecords(data: Buffer, into: Map<string, Buffer>): void {
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp === -1 || sp === pos || sp - pos > 20) throw new Error(`malformed PAX record at byte ${pos} (no length)`);
    let length = 0;
    for (let i = pos; i < sp; i++) {
      const c = data[i]!;
      if (c < 0x30 || c > 0x39) throw new Error(`malformed PAX record at byte ${pos} (length is not a number)`);
      length = length * 10 + (c - 0x30);
    }
    const end = pos + length;
    if (length < 5 || end > data.length || sp >= end - 1 || data[end - 1] !== 0x0a) {
      throw new Error(`malformed PAX record at byte ${pos} (bad length ${length})`);
    }
    const eq = data.indexOf(0x3d, sp + 1);
    if (eq === -1 || eq >= end - 1 || eq === sp + 1) throw new Error(`malformed PAX record at byte ${pos} (no key=value)`);
    const key = data.toString('utf8', sp + 1, eq);
    into.set(key, Buffer.from(data.subarray(eq + 1, end - 1)));
    pos = end;
  }
}

/** One encoded record. */
export function encodePaxRecord(key: string, value: Buffer): Buffer {
  const keyBytes = Buffer.from(key, 'utf8');
  const base = keyBytes.length + value.length + 3; // ' ', '=', '\n'
  let length = base + String(base).length;
  if (String(length).length !== String(base).length) length = base + String(length).length;
  const prefix = Buffer.from(`${length} ${key}=`, 'utf8');
  return Buffer.concat([prefix, value, Buffer.from('\n')], length);
}

const INTEGER = /^[0-9]{1,16}$/;
const TIME = /^(-?)([0-9]{1,16})(?:\.([0-9]*))?$/;

/** A decimal integer record value (size, uid, gid), or NaN. */
export function parsePaxInteger(value: Buffer): number {
  const text = value.toString('latin1');
  if (!INTEGER.test(text)) return NaN;
  const n = Number(text);
  return n <= Number.MAX_SAFE_INTEGER ? n : NaN;
}

/** A PAX time (`mtime=1700000000.25`), seconds as a number, or NaN. */
export function parsePaxTime(value: Buffer): number {
  const match = TIME.exec(value.toString('latin1'));
  if (match === null) return NaN;
  const seconds = Number(match[2]);
  const fraction = match[3] ? Number(`0.${match[3].slice(0, 9)}`) : 0;
  return match[1] === '-' ? -(seconds + fraction) : seconds + fraction;
}

/** Formats seconds as PAX does: integer part, then up to nine fractional digits without trailing zeros. */
export function formatPaxTime(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const abs = Math.abs(seconds);
  let whole = Math.floor(abs);
  let nanos = Math.round((abs - whole) * 1e9);
  if (nanos >= 1e9) {
    whole += 1;
    nanos = 0;
  }
  if (nanos === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
}
