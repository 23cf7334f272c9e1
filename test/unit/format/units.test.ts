// Sizes, durations, times, IDs and ellipses as docker prints them. Size expectations
// follow go-units (`%.*g` of the scaled size; checked against Go's printf on this
// machine: 999.5 → "1e+03", 1.9854 at 4 digits → "1.985").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStrataError } from '../../../src/errdefs/index.ts';
import {
  bytesSize,
  ellipsis,
  exitedAgo,
  humanDuration,
  humanSize,
  humanSize4,
  humanSizeWithPrecision,
  parseHumanSize,
  parseRAMInBytes,
  stringWidth,
  timeAgo,
  truncateId,
  upFor,
} from '../../../src/cli/format/index.ts';

test('humanSize: decimal units, 3 significant digits, Go %g quirks', () => {
  const cases: Array<[number, string]> = [
    [0, '0B'], [1, '1B'], [999, '999B'], [1000, '1kB'], [1001, '1kB'], [3220, '3.22kB'], [3225, '3.23kB'],
    [999_499, '999kB'], [999_500, '1e+03kB'], [1_000_000, '1MB'], [1_985_472, '1.99MB'], [21_000_000, '21MB'],
    [999_999_999, '1e+03MB'], [1e9, '1GB'], [1e12, '1TB'], [1e15, '1PB'], [1e18, '1EB'], [1e27, '1e+03YB'],
  ];
  for (const [n, want] of cases) assert.equal(humanSize(n), want, String(n));
  assert.equal(humanSize4(1_985_472), '1.985MB');
  assert.equal(humanSizeWithPrecision(1_234_567, 2), '1.2MB');
  assert.equal(bytesSize(1024), '1KiB');
  assert.equal(bytesSize(17 * 1024 * 1024 + 1), '17MiB');
  assert.equal(bytesSize(1023), '1023B');
  assert.equal(bytesSize(1536), '1.5KiB');
});

test('parse sizes like --memory and --shm-size (go-units RAMInBytes / FromHumanSize)', () => {
  const ram: Array<[string, number]> = [['32', 32], ['32b', 32], ['32B', 32], ['32k', 32 * 1024], ['32K', 32 * 1024], ['32kb', 32 * 1024], ['32Kib', 32 * 1024], ['32Mb', 32 << 20], ['32Gb', 32 * 2 ** 30], ['0.5g', 2 ** 29], ['1 GiB', 2 ** 30], ['1.5k', 1536]];
  for (const [s, n] of ram) assert.equal(parseRAMInBytes(s), n, s);
  assert.equal(parseHumanSize('44kB'), 44000);
  assert.equal(parseHumanSize('1.5M'), 1_500_000);
  for (const [s, msg] of [['', "invalid size: ''"], ['hello', "invalid size: 'hello'"], ['-32', "invalid size: '-32'"], ['32bm', "invalid suffix: 'bm'"], ['32q', "invalid suffix: 'q'"], ['32kbb', "invalid suffix: 'kbb'"], ['32mib ', 'strconv.ParseFloat: parsing "32mib": invalid syntax']] as const) {
    assert.throws(() => parseRAMInBytes(s), (err: unknown) => {
      assert.ok(isStrataError(err, 'invalid-argument'));
      assert.equal((err as Error).message, msg);
      return true;
    }, s);
  }
});

test('humanDuration at every boundary', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  const cases: Array<[number, string]> = [
    [-5 * s, 'Less than a second'], [0, 'Less than a second'], [999, 'Less than a second'], [s, '1 second'], [1999, '1 second'],
    [2 * s, '2 seconds'], [47 * s, '47 seconds'], [59 * s + 999, '59 seconds'], [m, 'About a minute'], [2 * m - 1, 'About a minute'],
    [2 * m, '2 minutes'], [59 * m + 59 * s, '59 minutes'], [h, 'About an hour'], [h + 29 * m + 59 * s, 'About an hour'],
    [h + 30 * m, '2 hours'], [22 * h, '22 hours'], [47 * h + 29 * m, '47 hours'], [47 * h + 30 * m, '2 days'], [13 * d, '13 days'],
    [14 * d, '2 weeks'], [59 * d, '8 weeks'], [60 * d, '2 months'], [364 * d, '12 months'], [729 * d, '24 months'],
    [730 * d, '2 years'], [5 * 365 * d, '5 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
  const now = Date.UTC(2024, 0, 2);
  assert.equal(timeAgo(now - 22 * h, now), '22 hours ago');
  assert.equal(timeAgo(new Date(now - 500), new Date(now)), 'Less than a second ago');
  assert.equal(upFor(now - 3 * s, now), 'Up 3 seconds');
  assert.equal(exitedAgo(0, now - 2 * m, now), 'Exited (0) 2 minutes ago');
});

test('truncateId: strips the algorithm, keeps 12 characters', () => {
  assert.equal(truncateId('sha256:f46f98545c48fd9bc04795ce5d89677d3a79486493ed5183c9126b634b80a1c0'), 'f46f98545c48');
  assert.equal(truncateId('f46f98545c48fd9bc047'), 'f46f98545c48');
  assert.equal(truncateId('<missing>'), '<missing>');
  assert.equal(truncateId('abc'), 'abc');
});

test('ellipsis: display columns, … counts as one, docker history cuts CREATED BY at 45', () => {
  const createdBy = '/bin/sh -c #(nop) ADD file:4f1e6a1b2b0e0d7c8f9a in / ';
  assert.equal(ellipsis(createdBy, 45), '/bin/sh -c #(nop) ADD file:4f1e6a1b2b0e0d7c8…');
  assert.equal(ellipsis(createdBy, 45).length, 45);
  assert.equal(ellipsis('short', 45), 'short');
  assert.equal(ellipsis('abcdef', 1), 'a');
  assert.equal(ellipsis('abcdef', 0), '');
  assert.equal(ellipsis('abcdef', 6), 'abcdef');
  assert.equal(ellipsis('abcdefg', 6), 'abcde…');
  assert.equal(ellipsis('日本語の文字', 7), '日本語…');
  assert.equal(ellipsis('日本語', 6), '日本語');
  assert.equal(ellipsis('日本', 2), '日本');
  assert.equal(stringWidth('日本a'), 5);
  assert.equal(stringWidth('e\u0301'), 1);
});
