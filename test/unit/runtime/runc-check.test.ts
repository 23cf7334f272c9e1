// What `runc --version` says, read as strata reads it, and which versions carry the fix for
// CVE-2024-21626 when the behavioural probe (test/e2e/runc-check.test.ts) cannot tell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRuncVersion, upstreamHasFix } from '../../../src/runtime/index.ts';

test("runc --version: upstream's and Debian's", () => {
  assert.deepEqual(parseRuncVersion('runc version 1.1.12\ncommit: v1.1.12-0-g51d5e94\nspec: 1.0.2-dev\ngo: go1.20.13\nlibseccomp: 2.5.4\n'), {
    version: '1.1.12', commit: 'v1.1.12-0-g51d5e94', spec: '1.0.2-dev',
  });
  assert.deepEqual(parseRuncVersion('runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\nlibseccomp: 2.5.4\n'), {
    version: '1.1.5+ds1', commit: '1.1.5+ds1-1+deb12u1', spec: '1.0.2-dev',
  });
  assert.deepEqual(parseRuncVersion('runc version 1.0.0\n'), { version: '1.0.0', commit: '', spec: '' });
  assert.equal(parseRuncVersion('crun version 1.8.1\ncommit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30\n'), undefined, 'another runtime is not runc');
  assert.equal(parseRuncVersion(''), undefined);
});

test('the upstream fix is in 1.1.12 and every later release; a number alone cannot see a backport', () => {
  for (const v of ['1.1.12', 'v1.1.12-0-g51d5e94', '1.1.13', '1.2.0', '1.2.0-rc.1', '2.0.0', '1.10.0']) assert.equal(upstreamHasFix(v), true, v);
  for (const v of ['1.1.11', '1.1.5+ds1', '1.0.3', '0.1.1', 'unknown', '']) assert.equal(upstreamHasFix(v), false, v);
});
