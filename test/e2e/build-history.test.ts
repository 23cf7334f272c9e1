// The builder remembers its recent builds' steps under <root>/builds/ (what `strata ui`'s
// Build cache view lists): CACHED or the miss reason per step, the image or the error, and a
// store where that record cannot be written still builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recentBuilds } from '../../src/builder/build-history.ts';
import { BASE, context, storeWithBase, strata, strataOk } from './build-fixture.ts';

const root = storeWithBase();

function summary(steps: { name: string; cached: boolean; reason?: string }[]): string[] {
  return steps.map((s) => `${s.name.replace(/^\[[^\]]*\] /, '')} => ${s.cached ? 'CACHED' : s.reason ?? 'ran'}`);
}

test('two builds, the second with a changed file: the record says CACHED and why the COPY missed', () => {
  const ctx = context(`FROM ${BASE}\nRUN echo before > /before\nCOPY app.txt /app/\n`, { 'app.txt': 'v1\n' });
  strataOk(root, ['build', '-q', '-t', 'hist/app:1', ctx]);
  writeFileSync(join(ctx, 'app.txt'), 'v2\n');
  strataOk(root, ['build', '-q', '-t', 'hist/app:2', ctx]);
  const [second, first] = recentBuilds(root);
  assert.ok(first !== undefined && second !== undefined);
  assert.deepEqual(first.tags, ['hist/app:1']);
  assert.deepEqual(second.tags, ['hist/app:2']);
  assert.equal(second.imageId, strataOk(root, ['images', '-q', '--no-trunc', 'hist/app:2']).trim());
  assert.equal(second.error, undefined);
  assert.deepEqual(summary(second.steps), ['RUN echo before > /before => CACHED', 'COPY app.txt /app/ => file app.txt changed']);
  assert.ok(first.steps.every((s) => !s.cached && s.reason !== undefined), summary(first.steps).join('\n'));
  assert.ok(second.startedAt >= first.startedAt);
  for (const b of [first, second]) {
    assert.ok(b.durationMs >= 0 && b.steps.every((s) => s.durationMs >= 0 && s.durationMs <= b.durationMs));
    assert.match(b.id, /^[0-9a-f]{64}$/);
  }
});

test('a failed build is recorded with its error and the steps it finished', () => {
  const ctx = context(`FROM ${BASE}\nRUN echo ok > /ok\nRUN exit 7\n`);
  const r = strata(root, ['build', '-q', '-t', 'hist/fail', ctx]);
  assert.equal(r.status, 1, r.stderr);
  const [last] = recentBuilds(root);
  assert.deepEqual(last?.tags, ['hist/fail:latest']);
  assert.equal(last?.imageId, undefined);
  assert.match(last?.error ?? '', /exit code: 7/);
  assert.deepEqual(summary(last?.steps ?? []).map((s) => s.split(' => ')[0]), ['RUN echo ok > /ok']);
});

test('a store where the record cannot be written still builds, and the record is simply not kept', () => {
  const store = storeWithBase();
  rmSync(join(store, 'builds'), { recursive: true, force: true });
  writeFileSync(join(store, 'builds'), 'not a directory');
  const ctx = context(`FROM ${BASE}\nCOPY a.txt /\n`, { 'a.txt': 'a\n' });
  strataOk(store, ['build', '-q', '-t', 'hist/unrecorded', ctx]);
  assert.equal(strataOk(store, ['run', '--rm', 'hist/unrecorded', 'cat', '/a.txt']), 'a\n');
  assert.deepEqual(recentBuilds(store), []);
});

test('only the newest 50 builds are kept', () => {
  const ctx = context(`FROM ${BASE}\nCOPY n.txt /\n`);
  for (let i = 0; i < 52; i++) {
    writeFileSync(join(ctx, 'n.txt'), `${i % 2}\n`);
    strataOk(root, ['build', '-q', '-t', `hist/n:${i}`, ctx]);
  }
  const builds = recentBuilds(root);
  assert.equal(builds.length, 50);
  assert.equal(readdirSync(join(root, 'builds')).length, 50, 'no temporary files left either');
  assert.deepEqual(builds[0]?.tags, ['hist/n:51']);
  assert.deepEqual(builds[49]?.tags, ['hist/n:2']);
});
