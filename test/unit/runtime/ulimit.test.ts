// --ulimit as docker's CLI reads it: the messages below are docker 28.2.2's, recorded with
// `docker create --ulimit VALUE IMAGE` (the flag is refused before any daemon is asked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUlimit, ulimitsByName } from '../../../src/runtime/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

test('name=soft[:hard], -1 unlimited, any sign Go accepts', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { name: 'nofile', soft: 1024, hard: 2048 });
  assert.deepEqual(parseUlimit('nproc=10'), { name: 'nproc', soft: 10, hard: 10 });
  assert.deepEqual(parseUlimit('core=-1'), { name: 'core', soft: -1, hard: -1 });
  assert.deepEqual(parseUlimit('nofile=5:-1'), { name: 'nofile', soft: 5, hard: -1 }, 'any soft limit under an unlimited hard one');
  assert.deepEqual(parseUlimit('nofile=+5'), { name: 'nofile', soft: 5, hard: 5 });
  assert.deepEqual(parseUlimit('stack=8388608:9223372036854775807').name, 'stack');
});

test("bad values get docker's messages", () => {
  const cases: Array<[string, string]> = [
    ['nofile', 'invalid ulimit argument: nofile'],
    ['bogus=1', 'invalid ulimit type: bogus'],
    ['NOFILE=1', 'invalid ulimit type: NOFILE'],
    ['=5', 'invalid ulimit type: '],
    ['as=1', 'invalid ulimit type: as'],
    ['nofile=1:2:3', 'too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`'],
    ['nofile=abc', 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ['nofile=', 'strconv.ParseInt: parsing "": invalid syntax'],
    ['nofile= 5', 'strconv.ParseInt: parsing " 5": invalid syntax'],
    ['nofile=1_0', 'strconv.ParseInt: parsing "1_0": invalid syntax'],
    ['nofile=0x10', 'strconv.ParseInt: parsing "0x10": invalid syntax'],
    ['nofile=a:b', 'strconv.ParseInt: parsing "b": invalid syntax'],
    ['nofile=a:5', 'strconv.ParseInt: parsing "a": invalid syntax'],
    ['nofile=9223372036854775808', 'strconv.ParseInt: parsing "9223372036854775808": value out of range'],
    ['nofile=1:9223372036854775808', 'strconv.ParseInt: parsing "9223372036854775808": value out of range'],
    ['nofile=10:5', 'ulimit soft limit must be less than or equal to hard limit: 10 > 5'],
    ['nofile=-2:-3', 'ulimit soft limit must be less than or equal to hard limit: -2 > -3'],
    ['nofile=-1:5', 'ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 5'],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => parseUlimit(value), (err) => isStrataError(err, 'invalid-argument') && err.message === message, `${value} → ${message}`);
  }
});

test('repeated resources: the last one counts, and they are kept in the order of their names', () => {
  const flags = ['nproc=10', 'nofile=1024:2048', 'core=0', 'nproc=20'].map(parseUlimit);
  assert.deepEqual(ulimitsByName(flags), [
    { name: 'core', soft: 0, hard: 0 },
    { name: 'nofile', soft: 1024, hard: 2048 },
    { name: 'nproc', soft: 20, hard: 20 },
  ]);
});
