// The build cache through the real CLI: what is reused, what runs again, and the reason plain
// progress gives for every miss. Every build is a separate process, so every hit also shows
// the cache survives a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, buildOk, context, storeState, storeWithBase, strataOk, type Step } from './build-fixture.ts';

const root = storeWithBase();

function summary(steps: Step[]): string[] {
  return steps.map((s) => `${s.name.replace(/^\[[^\]]*\] /, '')} => ${s.cached ? 'CACHED' : s.reason ?? 'ran'}`);
}

test('an unchanged rebuild, and one where only mtimes changed, reuses every step and gives the same image', () => {
  const ctx = context(`FROM ${BASE}\nWORKDIR /app\nCOPY . .\nRUN cat app.js > /copy\n`, { 'app.js': 'one\n', 'lib/util.js': 'util\n' });
  const first = buildOk(root, ['-t', 'cache/mtime', ctx]);
  assert.equal(first.filter((s) => s.cached).length, 0);
  const id1 = strataOk(root, ['images', '-q', '--no-trunc', 'cache/mtime']).trim();
  const again = buildOk(root, ['-t', 'cache/mtime', ctx]);
  assert.deepEqual(again.map((s) => s.cached), [true, true, true]);
  for (const f of ['app.js', 'lib/util.js', 'lib', 'Dockerfile']) utimesSync(join(ctx, f), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const touched = buildOk(root, ['-t', 'cache/mtime', ctx]);
  assert.deepEqual(touched.map((s) => s.cached), [true, true, true], summary(touched).join('\n'));
  assert.equal(strataOk(root, ['images', '-q', '--no-trunc', 'cache/mtime']).trim(), id1);
});

test('a changed file reruns the COPY that copies it and every step after it, and says which file', () => {
  const ctx = context(`FROM ${BASE}\nRUN echo before > /before\nCOPY app.js /app/\nRUN cat /app/app.js > /copy\nENV X=1\nRUN echo after > /after\n`, { 'app.js': 'v1\n', 'other.txt': 'x' });
  buildOk(root, ['-t', 'cache/content', ctx]);
  writeFileSync(join(ctx, 'other.txt'), 'not copied');
  assert.deepEqual(buildOk(root, ['-t', 'cache/content', ctx]).map((s) => s.cached), [true, true, true, true]);
  writeFileSync(join(ctx, 'app.js'), 'v2\n');
  const steps = buildOk(root, ['-t', 'cache/content', ctx]);
  assert.deepEqual(summary(steps), [
    'RUN echo before > /before => CACHED',
    'COPY app.js /app/ => file app.js changed',
    'RUN cat /app/app.js > /copy => the step below it was rebuilt',
    'RUN echo after > /after => the step below it was rebuilt',
  ]);
  assert.equal(strataOk(root, ['run', '--rm', 'cache/content', 'cat', '/copy']), 'v2\n');
});

test('a changed build arg reruns the first RUN that sees it and every step after; steps before stay cached', () => {
  const ctx = context(`FROM ${BASE}\nRUN echo one > /one\nARG MODE=dev\nRUN echo $MODE > /mode\nRUN echo two > /two\n`);
  buildOk(root, ['-t', 'cache/arg', ctx]);
  assert.deepEqual(buildOk(root, ['--build-arg', 'MODE=dev', '-t', 'cache/arg', ctx]).map((s) => s.cached), [true, true, true]);
  const steps = buildOk(root, ['--build-arg', 'MODE=prod', '-t', 'cache/arg', ctx]);
  assert.deepEqual(summary(steps), [
    'RUN echo one > /one => CACHED',
    // BuildKit shows the step with the variables it knows substituted.
    'RUN echo prod > /mode => build arg MODE changed ("dev" → "prod")',
    'RUN echo two > /two => the step below it was rebuilt',
  ]);
  // The first value is still cached: switching back reuses it.
  assert.deepEqual(buildOk(root, ['--build-arg', 'MODE=dev', '-t', 'cache/arg', ctx]).map((s) => s.cached), [true, true, true]);
});

test('a change in a stage the target does not use rebuilds nothing', () => {
  const dockerfile = (word: string): string => `FROM ${BASE} AS unused\nRUN echo ${word} > /x\nFROM ${BASE} AS used\nRUN echo used > /y\nFROM used\nCOPY --from=used /y /z\n`;
  const ctx = context(dockerfile('a'));
  buildOk(root, ['-t', 'cache/stages', ctx]);
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile('b'));
  const steps = buildOk(root, ['-t', 'cache/stages', ctx]);
  assert.ok(steps.every((s) => s.cached), summary(steps).join('\n'));
  assert.ok(!steps.some((s) => s.name.includes('echo b')), 'the unused stage was not built');
});

test('--no-cache runs every step, --no-cache-filter only the named stage; both say why', () => {
  const ctx = context(`FROM ${BASE} AS deps\nRUN echo deps > /deps\nFROM ${BASE}\nCOPY --from=deps /deps /deps\nRUN echo final > /final\n`);
  buildOk(root, ['-t', 'cache/nocache', ctx]);
  const all = buildOk(root, ['--no-cache', '-t', 'cache/nocache', ctx]);
  assert.ok(all.every((s) => !s.cached && s.reason === 'the build runs with --no-cache'), summary(all).join('\n'));
  const filtered = buildOk(root, ['--no-cache-filter', 'deps', '-t', 'cache/nocache', ctx]);
  const deps = filtered.find((s) => s.name.includes('echo deps'));
  assert.equal(deps?.reason, 'stage deps is in --no-cache-filter');
  // The rebuilt stage made the same file, so the COPY from it is still a hit.
  assert.ok(filtered.filter((s) => !s.name.startsWith('[deps')).every((s) => s.cached), summary(filtered).join('\n'));
});

test('RUN --mount=type=cache keeps its directory between builds', () => {
  const ctx = context(`FROM ${BASE}\nARG N\nRUN --mount=type=cache,target=/var/cache/app sh -c 'echo $N >> /var/cache/app/log; cat /var/cache/app/log > /seen'\n`);
  buildOk(root, ['--build-arg', 'N=1', '-t', 'cache/mount', ctx]);
  buildOk(root, ['--build-arg', 'N=2', '-t', 'cache/mount', ctx]);
  assert.equal(strataOk(root, ['run', '--rm', 'cache/mount', 'cat', '/seen']), '1\n2\n');
  // The cache directory is not part of the image.
  assert.equal(strataOk(root, ['run', '--rm', 'cache/mount', 'sh', '-c', 'ls -A /var/cache/app 2>/dev/null | wc -l']).trim(), '0');
});

test('system df counts the build cache; builder prune removes what no image shares, -a everything', () => {
  const ctx = context(`FROM ${BASE}\nRUN echo a > /a\nRUN echo b > /b\n`);
  buildOk(root, ['-t', 'cache/prune', ctx]);
  const df = strataOk(root, ['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}']);
  const count = Number(/Build Cache\|(\d+)/.exec(df)?.[1]);
  assert.ok(count >= 2, df);
  strataOk(root, ['rmi', 'cache/prune']);
  const before = storeState(root);
  const pruned = strataOk(root, ['builder', 'prune', '-f']);
  assert.match(pruned, /^Deleted build cache objects:\n/);
  assert.match(pruned, /Total reclaimed space: [1-9]/);
  const after = storeState(root);
  assert.ok(after.cache < before.cache);
  // The base image's own steps are shared with it and stay.
  assert.ok(after.cache > 0);
  const again = buildOk(root, ['-t', 'cache/prune', ctx]);
  assert.deepEqual(again.map((s) => s.cached), [false, false]);
  strataOk(root, ['builder', 'prune', '-a', '-f']);
  assert.equal(storeState(root).cache, 0);
  // The images are intact.
  assert.equal(strataOk(root, ['run', '--rm', 'cache/prune', 'cat', '/a', '/b']), 'a\nb\n');
});

test('RUN --mount=type=cache,sharing=locked lets one step at a time use the directory', () => {
  const step = (name: string): string => `RUN --mount=type=cache,id=shared-log,target=/c,sharing=locked sh -c 'echo start-${name} >> /c/log; sleep 1; echo end-${name} >> /c/log; cat /c/log > /seen'`;
  const ctx = context(`FROM ${BASE} AS one\n${step('one')}\nFROM ${BASE} AS two\n${step('two')}\nFROM ${BASE}\nCOPY --from=one /seen /one\nCOPY --from=two /seen /two\n`);
  buildOk(root, ['-t', 'cache/locked', ctx]);
  const log = strataOk(root, ['run', '--rm', 'cache/locked', 'sh', '-c', 'cat /one /two | sort -u']).trim().split('\n');
  // Whichever ran second saw the first one's start and end before its own start.
  const seen = strataOk(root, ['run', '--rm', 'cache/locked', 'sh', '-c', 'if [ $(wc -l < /one) -gt $(wc -l < /two) ]; then cat /one; else cat /two; fi']).trim().split('\n');
  assert.equal(seen.length, 4, seen.join('\n'));
  assert.match(seen[0] as string, /^start-/);
  assert.equal(seen[1], seen[0]?.replace('start-', 'end-'));
  assert.ok(log.length >= 4);
});
