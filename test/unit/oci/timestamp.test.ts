// docker's time arguments (timetypes.GetTimestamp), shared by `logs --since/--until` and the
// `until` filters of image and container prune.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp, parseTimestampFilter } from '../../../src/oci/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

const now = Date.parse('2024-05-01T12:00:00Z');
const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;

test('Go durations count back from now: fractions, several units, every unit Go knows', () => {
  assert.equal(parseTimestamp('1.5h', now), ns(now - 5_400_000));
  assert.equal(parseTimestamp('90m', now), ns(now - 5_400_000));
  assert.equal(parseTimestamp('1h30m', now), ns(now - 5_400_000));
  assert.equal(parseTimestamp('1h29m60s', now), ns(now - 5_400_000));
  assert.equal(parseTimestamp('.5s', now), ns(now - 500));
  assert.equal(parseTimestamp('2.s', now), ns(now - 2000));
  assert.equal(parseTimestamp('1500ms', now), ns(now - 1500));
  assert.equal(parseTimestamp('3us', now), ns(now) - 3000n);
  assert.equal(parseTimestamp('3µs', now), ns(now) - 3000n);
  assert.equal(parseTimestamp('7ns', now), ns(now) - 7n);
  assert.equal(parseTimestamp('0s', now), ns(now));
  assert.equal(parseTimestamp('-1h', now), ns(now + 3_600_000), 'a negative duration is ahead of now, as in Go');
  assert.equal(parseTimestamp('+1h', now), ns(now - 3_600_000));
});

test('Unix seconds, with a fraction of up to nanoseconds ("0" is the epoch, not a duration)', () => {
  assert.equal(parseTimestamp('1714566896', now), 1714566896000000000n);
  assert.equal(parseTimestamp('1714566896.25', now), 1714566896250000000n);
  assert.equal(parseTimestamp('1714566896.123456789', now), 1714566896123456789n);
  assert.equal(parseTimestamp('1714566896.1234567891', now), 1714566896123456789n, 'past nanoseconds is cut');
  assert.equal(parseTimestamp('0', now), 0n);
});

test('RFC 3339 times, whole or cut short, with or without a zone (none: local time)', () => {
  assert.equal(parseTimestamp('2024-05-01T12:34:56Z', now), 1714566896000000000n);
  assert.equal(parseTimestamp('2024-05-01T12:34:56.000000001Z', now), 1714566896000000001n);
  assert.equal(parseTimestamp('2024-05-01T14:34:56+02:00', now), 1714566896000000000n);
  assert.equal(parseTimestamp('2024-05-01T12:34Z', now), ns(Date.parse('2024-05-01T12:34:00Z')));
  assert.equal(parseTimestamp('2024-05-01T12Z', now), ns(Date.parse('2024-05-01T12:00:00Z')));
  assert.equal(parseTimestamp('2024-05-01Z', now), ns(Date.parse('2024-05-01T00:00:00Z')));
  assert.equal(parseTimestamp('2024-05-01', now), ns(new Date('2024-05-01T00:00:00').getTime()));
  assert.equal(parseTimestamp('2024-05-01T12:34:56', now), ns(new Date('2024-05-01T12:34:56').getTime()));
});

test('anything else is not a time', () => {
  for (const bad of ['', 'yesterday', '1.5x', '10 m', 'h', '.h', '1..5h', '2024-13-01', '2024-05-01 12:34:56', 'May 1 2024', '-', '1e3']) {
    assert.equal(parseTimestamp(bad, now), undefined, bad);
  }
});

test('an until filter value in milliseconds; a bad one names the filter', () => {
  assert.equal(parseTimestampFilter('1.5h', now), now - 5_400_000);
  assert.equal(parseTimestampFilter('2024-05-01T12:34:56.999999Z', now), Date.parse('2024-05-01T12:34:56.999Z'));
  assert.throws(() => parseTimestampFilter('tomorrow', now), (e) => isStrataError(e, 'invalid-argument') && e.message === "invalid filter 'until=tomorrow': not a timestamp or duration");
});
