/**
 * RFC 3339 times as Go prints them. Image configs carry nanosecond times that a JS Date
 * would round to milliseconds, so these work on the text.
 */

const RFC3339_PARTS = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go's `time.RFC3339Nano` rendering of an RFC 3339 time: trailing fraction zeros trimmed, `Z` for UTC. */
export function formatRfc3339Nano(text: string): string {
  const m = RFC3339_PARTS.exec(text);
  if (!m) return text;
  const [, date, clock, fraction = '', zone = 'Z'] = m;
  const trimmed = fraction.slice(0, 9).replace(/0+$/, '');
  const offset = zone === 'Z' || zone === 'z' || zone === '+00:00' ? 'Z' : zone;
  return `${date}T${clock}${trimmed ? `.${trimmed}` : ''}${offset}`;
}

/** Milliseconds since the epoch for an RFC 3339 time, or undefined when it isn't one. */
export function parseRfc3339(text: string | undefined | null): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Now as Go's RFC3339Nano prints it, with microsecond precision from hrtime. */
export function nowRfc3339Nano(): string {
  const ms = Date.now();
  const micros = Number(process.hrtime.bigint() / 1000n % 1000n);
  const base = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const fraction = `${base.slice(20, 23)}${String(micros).padStart(3, '0')}`.replace(/0+$/, '');
  return `${base.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

/** The zero time Go prints for an unset time.Time. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
