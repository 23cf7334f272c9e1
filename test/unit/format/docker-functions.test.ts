// docker's template functions (json, split, join, title, lower, upper, pad, truncate) on the
// engine, against the part of the docker CLI recording that calls them. The recording's
// data and harness are the template package's (its test/go-oracle-cases.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerFunctions } from '../../../src/cli/format/index.ts';
import { inspectLikeDocker } from '../../../packages/go-template/test/go-oracle-cases.ts';
import { dockerOracleCases } from './docker-oracle-cases.ts';

test('matches docker CLI 28 (Go 1.24) on every recorded case that calls docker\'s functions', () => {
  const failures: string[] = [];
  for (const [template, expected] of dockerOracleCases) {
    const got = inspectLikeDocker(template, dockerFunctions);
    if (got !== expected) failures.push(`${JSON.stringify(template)}\n  want ${JSON.stringify(expected)}\n  got  ${JSON.stringify(got)}`);
  }
  assert.equal(failures.length, 0, failures.join('\n'));
  assert.ok(dockerOracleCases.length > 40);
});
