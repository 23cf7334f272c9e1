/**
 * docker's time arguments (its timetypes.GetTimestamp): what `logs --since/--until` and the
 * `until` filters of `image prune`, `container prune` and `images` take. One parser, so a
 * value means the same wherever docker accepts it.
 */
import { invalidArgument } from '../errdefs/index.ts';

const NS_PER_UNIT: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration syntax: a sign, then one or more decimal numbers with a unit (1.5h, 1h30m, .5s). */
const GO_DURATION = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const GO_DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** The date and time layouts docker tries: a date, then optionally hours, minutes, seconds and a fraction, then optionally a zone. */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}(?::\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?))?(Z|[+-]\d{2}:\d{2})?$/;

/** Nanoseconds of a Go duration (its syntax checked by GO_DURATION). */
function durationNs(value: string): bigint {
  let ns = 0;
  for (const part of value.matchAll(GO_DURATION_PART)) ns += Number(part[1]) * (NS_PER_UNIT[part[2] as string] as number);
  return BigInt(Math.round(value.startsWith('-') ? -ns : ns));
}

/**
 * A docker time argument as nanoseconds since the epoch: Unix seconds with an optional
 * fraction (`1700000000.5`), a Go duration before `nowMs` (`10m`, `1.5h`, `1h30m`), or an
 * RFC 3339 date or time, whole or cut after the date, hour or minute, with an optional
 * fraction and zone (without a zone it is local time, as docker takes it).
 * @returns undefined when the value is none of these.
 */
export function parseTimestamp(value: string, nowMs: number = Date.now()): bigint | undefined {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) {
    const [seconds, fraction = ''] = v.split('.');
    return BigInt(seconds as string) * 1_000_000_000n + BigInt(fraction.slice(0, 9).padEnd(9, '0'));
  }
  if (GO_DURATION.test(v)) return BigInt(Math.round(nowMs)) * 1_000_000n - durationNs(v);
  const m = DATE_TIME.exec(v);
  if (m === null) return undefined;
  const [, date, time = '00:00:00', zone] = m;
  const parts = time.split(':');
  while (parts.length < 3) parts.push('00');
  const [clock, fraction = ''] = parts.join(':').split('.');
  const ms = zone === undefined ? new Date(`${date}T${clock}`).getTime() : Date.parse(`${date}T${clock}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
}

/**
 * An `until` filter's value (`--filter until=…`) as milliseconds since the epoch.
 * @throws invalid-argument `invalid filter 'until=…': not a timestamp or duration`.
 */
export function parseTimestampFilter(value: string, nowMs: number = Date.now()): number {
  const ns = parseTimestamp(value, nowMs);
  if (ns === undefined) throw invalidArgument(`invalid filter 'until=${value}': not a timestamp or duration`);
  return Number(ns / 1_000_000n);
}
