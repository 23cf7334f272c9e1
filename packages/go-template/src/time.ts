/**
 * Go's time.Time text forms: `Time.String()` (`2024-01-02 03:04:05.123456789 +0000 UTC`,
 * what fmt prints for a time) and RFC 3339 with and without nanoseconds (what
 * encoding/json writes for a time, and `time.RFC3339`).
 *
 * JavaScript Dates carry milliseconds; for more precision pass the RFC 3339 string
 * itself (`formatRFC3339Nano('2024-01-02T03:04:05.123456789Z')`) — it is parsed
 * without going through a Date.
 */

/** A point in time with nanoseconds and the zone it is shown in. */
export interface GoTime {
  /** Seconds since the epoch (UTC). */
  seconds: number;
  /** 0 ≤ nanos < 1e9. */
  nanos: number;
  /** East of UTC, in seconds. */
  offset: number;
  /** The zone's abbreviation (`UTC`, `CET`); for a fixed offset Go prints `+0100`-style names. */
  zone: string;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

const zoneNames = new Map<string, Intl.DateTimeFormat>();

function shortZoneName(date: Date, locale: string): string | undefined {
  let f = zoneNames.get(locale);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(locale, { timeZoneName: 'short' });
    zoneNames.set(locale, f);
  }
  return f.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value;
}

function numericZone(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return sign + pad2(h) + (m === 0 ? '' : pad2(m));
}

/** The local zone's abbreviation at `date`, as close to Go's tzdata names as ICU allows. */
function localZoneName(date: Date, offset: number): string {
  if (offset === 0 && (process.env['TZ'] === undefined || process.env['TZ'] === '' || /^(UTC|Etc\/UTC|UTC0|:?UTC)$/.test(process.env['TZ']))) {
    return 'UTC';
  }
  for (const locale of ['en-US', 'en-GB']) {
    const name = shortZoneName(date, locale);
    if (name !== undefined && /^[A-Z]{2,5}$/.test(name)) return name;
  }
  return numericZone(offset);
}

/** A Date (or epoch milliseconds) in the local zone, as Go's time.Unix(...).Local() would be. */
export function toGoTime(date: Date | number, options: { utc?: boolean } = {}): GoTime {
  const d = typeof date === 'number' ? new Date(date) : date;
  const ms = d.getTime();
  // A plain Error, not a RangeError: the executor takes a RangeError for a stack overflow.
  if (Number.isNaN(ms)) throw new Error('invalid time value');
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1e6;
  if (options.utc === true) return { seconds, nanos, offset: 0, zone: 'UTC' };
  const offset = -d.getTimezoneOffset() * 60;
  return { seconds, nanos, offset, zone: localZoneName(d, offset) };
}

/**
 * Parses an RFC 3339 timestamp with up to nine fraction digits, keeping the
 * nanoseconds and the written offset. Throws a SyntaxError when malformed.
 */
export function parseRFC3339(text: string): GoTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (m === null) throw new SyntaxError(`parsing time "${text}": not an RFC 3339 timestamp`);
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  const utcSeconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  const offset = z !== undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
  const nanos = frac === undefined ? 0 : Number(frac.padEnd(9, '0'));
  const zone = z !== undefined ? 'UTC' : numericZone(offset);
  return { seconds: utcSeconds - offset, nanos, offset, zone };
}

function asGoTime(t: GoTime | Date | string | number): GoTime {
  if (typeof t === 'string') return parseRFC3339(t);
  if (t instanceof Date || typeof t === 'number') return toGoTime(t);
  return t;
}

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function civil(t: GoTime): Civil {
  const d = new Date((t.seconds + t.offset) * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

function fraction(nanos: number, trim: boolean): string {
  if (trim) {
    if (nanos === 0) return '';
    return '.' + String(nanos).padStart(9, '0').replace(/0+$/, '');
  }
  return '.' + String(nanos).padStart(9, '0');
}

function offsetText(offset: number, colon: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  return sign + pad2(Math.floor(a / 3600)) + (colon ? ':' : '') + pad2(Math.floor((a % 3600) / 60));
}

/**
 * Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST` (fraction only when
 * non-zero, trailing zeros trimmed). Dates and epoch milliseconds are shown in the local zone.
 */
export function goTimeString(t: GoTime | Date | string | number): string {
  const g = asGoTime(t);
  const c = civil(g);
  return (
    `${pad4(c.year)}-${pad2(c.month)}-${pad2(c.day)} ${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)}` +
    `${fraction(g.nanos, true)} ${offsetText(g.offset, false)} ${g.zone}`
  );
}

function rfc3339(t: GoTime | Date | string | number, nano: boolean): string {
  const g = asGoTime(t);
  const c = civil(g);
  return (
    `${pad4(c.year)}-${pad2(c.month)}-${pad2(c.day)}T${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)}` +
    (nano ? fraction(g.nanos, true) : '') +
    (g.offset === 0 ? 'Z' : offsetText(g.offset, true))
  );
}

/** Go's `time.RFC3339` layout: `2006-01-02T15:04:05Z07:00` (no fraction; `Z` for UTC). */
export function formatRFC3339(t: GoTime | Date | string | number): string {
  return rfc3339(t, false);
}

/** Go's `time.RFC3339Nano` layout, what `json` prints for a time: fraction with trailing zeros trimmed. */
export function formatRFC3339Nano(t: GoTime | Date | string | number): string {
  return rfc3339(t, true);
}
