// `container prune --filter`: `until` takes what docker's takes (Go durations such as 1.5h,
// 90m or 1h30m, RFC 3339 times, Unix seconds) with the same meaning as `image prune`'s
// (created before that time), `label`/`label!` pick by label, and a bad value changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { BUSYBOX, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const root = storeWithBusybox();

function names(): string[] {
  return strataOk(root, ['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort();
}

function deleted(output: string): string[] {
  const m = /^Deleted Containers:\n((?:[0-9a-f]{64}\n)*)\n/.exec(output);
  return m === null ? [] : (m[1] as string).trim().split('\n');
}

/** Seconds since the epoch of an object's `Created`, as `inspect` prints it. */
function createdSeconds(ref: string): number {
  return Date.parse(strataOk(root, ['inspect', '--format', '{{.Created}}', ref]).trim()) / 1000;
}

/** An RFC 3339 time, `offset` seconds from `seconds`. */
function rfc3339(seconds: number, offset: number): string {
  return new Date(Math.round((seconds + offset) * 1000)).toISOString();
}

test('container prune --filter until= takes Go durations, as image prune does', () => {
  strataOk(root, ['create', '--name', 'recent', BUSYBOX]);
  for (const value of ['1.5h', '90m', '1h30m', '5400s']) {
    for (const command of [['container', 'prune'], ['image', 'prune', '-a'], ['system', 'prune']]) {
      const r = strata(root, [...command, '-f', '--filter', `until=${value}`]);
      assert.equal(r.status, 0, `${command.join(' ')} --filter until=${value}: ${r.stderr}`);
      assert.equal(r.stdout, 'Total reclaimed space: 0B\n', `${command.join(' ')} --filter until=${value}: nothing is that old`);
    }
  }
  assert.deepEqual(names(), ['recent']);
  // A duration ago that the container is older than: it goes.
  const older = strataOk(root, ['container', 'prune', '-f', '--filter', 'until=0.001ms']);
  assert.equal(deleted(older).length, 1, older);
  assert.deepEqual(names(), []);
});

test('container prune --filter until=TIME: created before TIME goes, as with image prune', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'tree'));
  writeFileSync(join(dir, 'tree', 'f'), 'x\n');
  execFileSync('tar', ['-C', join(dir, 'tree'), '-cf', join(dir, 'f.tar'), '.']);
  // Labelled, so that `image prune -a` below leaves the busybox image alone.
  strataOk(root, ['import', '-c', 'LABEL prune=me', join(dir, 'f.tar'), 'ctest/prune-me:1']);
  const image = createdSeconds('ctest/prune-me:1');
  strataOk(root, ['create', '--name', 'dated', BUSYBOX]);
  const container = createdSeconds('dated');

  for (const [kind, created] of [['container', container], ['image', image]] as const) {
    const prune = kind === 'container' ? ['container', 'prune', '-f'] : ['image', 'prune', '-a', '-f', '--filter', 'label=prune=me'];
    const before = strataOk(root, [...prune, '--filter', `until=${rfc3339(created, -2)}`]);
    assert.match(before, /^Total reclaimed space: 0B\n$/, `${kind}: made after the time, kept`);
    const unixBefore = strataOk(root, [...prune, '--filter', `until=${(created - 2).toFixed(3)}`]);
    assert.match(unixBefore, /^Total reclaimed space: 0B\n$/, `${kind}: Unix seconds`);
    const after = strataOk(root, [...prune, '--filter', `until=${rfc3339(created, 2)}`]);
    assert.notEqual(after, 'Total reclaimed space: 0B\n', `${kind}: made before the time, pruned`);
  }
  assert.deepEqual(names(), []);
  assert.equal(strata(root, ['image', 'inspect', 'ctest/prune-me:1']).status, 1);
});

test('container prune --filter label= and label!=', () => {
  strataOk(root, ['create', '--name', 'keep', '-l', 'keep=yes', BUSYBOX]);
  strataOk(root, ['create', '--name', 'other', '-l', 'keep=no', BUSYBOX]);
  strataOk(root, ['create', '--name', 'plain', BUSYBOX]);
  assert.equal(deleted(strataOk(root, ['container', 'prune', '-f', '--filter', 'label!=keep=yes', '--filter', 'label=keep'])).length, 1);
  assert.deepEqual(names(), ['keep', 'plain']);
  assert.equal(deleted(strataOk(root, ['container', 'prune', '-f', '--filter', 'label!=keep'])).length, 1);
  assert.deepEqual(names(), ['keep']);
  strataOk(root, ['rm', 'keep']);
});

test('a bad until or filter: the same error from container and image prune, and nothing removed', () => {
  strataOk(root, ['create', '--name', 'survivor', BUSYBOX]);
  for (const value of ['tomorrow', '1.5x', '2024-13-01', '-']) {
    const c = strata(root, ['container', 'prune', '-f', '--filter', `until=${value}`]);
    const i = strata(root, ['image', 'prune', '-f', '--filter', `until=${value}`]);
    assert.equal(c.status, 1, `until=${value}`);
    assert.equal(c.stderr, `Error: invalid filter 'until=${value}': not a timestamp or duration\n`);
    assert.deepEqual([i.status, i.stderr], [c.status, c.stderr], `image prune --filter until=${value}`);
  }
  const unknown = strata(root, ['container', 'prune', '-f', '--filter', 'name=survivor']);
  assert.deepEqual([unknown.status, unknown.stderr], [1, "Error: Invalid filter 'name'\n"]);
  assert.deepEqual(names(), ['survivor']);
  strataOk(root, ['rm', 'survivor']);
});
