// Invariant 4 for containers: a `kill -9` of the CLI at any point of `run -d`, `commit` and
// `rm` leaves a store in which `system check` finds no problem (only leftovers, which the
// next collection removes), `ps -a` tells the truth afterwards, no
// mount is leaked, and the interrupted operation can be done again. The CLI is stopped at
// exact points with STRATA_FAILPOINT (see src/containers/trace.ts), then killed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX, eventually, mountsUnder, STRATA_BIN, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const root = storeWithBusybox();

/** Runs the CLI until it reaches the failpoint, then kills it with SIGKILL; returns its pid. */
async function killAt(failpoint: string, args: string[]): Promise<number> {
  const child = spawn(STRATA_BIN, args, { env: { ...process.env, STRATA_ROOT: root, STRATA_FAILPOINT: failpoint }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const reached = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes(`failpoint `)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`strata ${args.join(' ')} exited ${code} before the failpoint "${failpoint}": ${err}`)));
  });
  await reached;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return child.pid ?? 0;
}

/**
 * No problem, only leftovers of the killed process (a lease taken before it died), which
 * `--repair` removes; then the store checks OK.
 */
function checkOk(): void {
  const r = strata(root, ['system', 'check']);
  if (r.status !== 0) {
    for (const line of r.stdout.trimEnd().split('\n')) assert.match(line, /^leftover: .*its process \(\d+\) is gone$|^checked .*: \d+ leftover\(s\), which --repair removes$/, r.stdout);
    strataOk(root, ['system', 'check', '--repair']);
  }
  const again = strata(root, ['system', 'check']);
  assert.equal(again.status, 0, again.stdout);
  assert.match(again.stdout, /: OK\n$/);
}

function snapshotDirs(): number {
  return readdirSync(join(root, 'snapshots', 'overlay')).length;
}

test('kill -9 during run -d, at every phase: ps -a tells the truth, nothing stays mounted, start works', async () => {
  const layers = snapshotDirs();
  const phases: Array<[string, string]> = [
    ['create: options checked', 'none'],
    ['create: init layer, writable layer and record committed', 'Created'],
    ['start: rootfs mounted', 'Created'],
    ['start: bundle written', 'Created'],
    ['start: launching the supervisor', 'Created'],
    ['start: supervisor reports the container started', 'Up'],
  ];
  for (const [phase, expected] of phases) {
    const name = `crash-${phases.findIndex((p) => p[0] === phase)}`;
    await killAt(phase, ['run', '-d', '--name', name, BUSYBOX, 'sleep', '30']);
    const status = strataOk(root, ['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']).trim();
    if (expected === 'none') {
      assert.equal(status, '', `${phase}: no container yet`);
      continue;
    }
    assert.ok(status.startsWith(expected), `${phase}: ${status}`);
    const dir = join(root, 'containers', strataOk(root, ['inspect', '-f', '{{.Id}}', name]).trim());
    if (expected === 'Created') {
      assert.deepEqual(mountsUnder(dir), [], `${phase}: the interrupted start left no mount once looked at`);
      strataOk(root, ['start', name]);
    }
    assert.equal(strataOk(root, ['ps', '--filter', `name=${name}`, '--format', '{{.State}}']), 'running\n', phase);
    assert.equal(strataOk(root, ['exec', name, 'echo', 'alive']), 'alive\n');
    strataOk(root, ['rm', '-f', name]);
    assert.deepEqual(mountsUnder(dir), []);
    checkOk();
  }
  assert.equal(strataOk(root, ['ps', '-aq']), '');
  assert.deepEqual(mountsUnder(join(root, 'containers')), []);
  // Layers a crash left behind (an uncommitted init layer, a writable layer prepared outside
  // its transaction) have no record; the snapshot sweep removes them after an hour.
  assert.ok(snapshotDirs() >= layers);
});

test('kill -9 during commit: no image appears, the container is intact, commit again succeeds', async () => {
  strataOk(root, ['run', '--name', 'to-commit', BUSYBOX, 'sh', '-c', 'echo data > /srv-file']);
  const imagesBefore = strataOk(root, ['images', '-q']);
  const pid = await killAt('commit: layer written', ['commit', 'to-commit', 'crash/commit:1']);
  assert.equal(strataOk(root, ['images', '-q']), imagesBefore, 'nothing half-committed is listed');
  // No problem; the dead commit's lease and half-made layer are leftovers that --repair (or any collection) removes.
  const found = strata(root, ['system', 'check']);
  assert.equal(found.status, 1);
  assert.match(found.stdout, new RegExp(`^leftover: lease [0-9a-f]+: its process \\(${pid}\\) is gone\nleftover: snapshot commit-${pid}-[0-9a-f]{12}: its process \\(${pid}\\) is gone\nchecked .*: 2 leftover\\(s\\), which --repair removes\n$`));
  assert.equal(strataOk(root, ['diff', 'to-commit']), 'A /srv-file\n');
  assert.match(strataOk(root, ['commit', 'to-commit', 'crash/commit:1']), /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(strataOk(root, ['run', '--rm', 'crash/commit:1', 'cat', '/srv-file']), 'data\n');
  strataOk(root, ['rm', 'to-commit']);
  strataOk(root, ['rmi', 'crash/commit:1']);
  checkOk();
});

test('kill -9 during rm: the container shows Dead, rm finishes the job, nothing leaks', async () => {
  const points: Array<[string, string]> = [
    // Marked, not yet killed: it still runs (rm -f will kill it).
    ['rm: marked for removal', 'Up'],
    // Killed and its layer gone: an unfinished removal, as docker's Dead.
    ['rm: writable layer removed', 'Dead'],
    ['rm: records deleted', 'gone'],
  ];
  for (const [point, expected] of points) {
    const id = strataOk(root, ['run', '-d', BUSYBOX, 'sleep', '30']).trim();
    await killAt(point, ['rm', '-f', id]);
    const listed = strataOk(root, ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Status}}']);
    if (expected === 'gone') {
      assert.equal(listed, '', `${point}: the container is gone`);
    } else {
      assert.match(listed, new RegExp(`^${id} ${expected}`), `${point}: ${listed}`);
      if (expected === 'Dead') {
        const start = strata(root, ['start', id]);
        assert.equal(start.status, 1, 'a container marked for removal does not start');
        assert.match(start.stderr, /Container is marked for removal and cannot be started/);
      }
      strataOk(root, ['rm', '-f', id]);
    }
    assert.equal(strataOk(root, ['ps', '-aq']), '');
    assert.deepEqual(mountsUnder(join(root, 'containers')), []);
    checkOk();
  }
});

test('kill -9 of a foreground run: its supervisor does what the CLI would have (--rm removes, else unmounts)', async () => {
  for (const autoRemove of [true, false]) {
    const name = autoRemove ? 'fg-rm' : 'fg-keep';
    const child = spawn(STRATA_BIN, ['run', ...(autoRemove ? ['--rm'] : []), '--name', name, BUSYBOX, 'sh', '-c', 'echo up; until [ -e /tmp/go ]; do sleep 0.1; done; exit 3'], {
      env: { ...process.env, STRATA_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('up')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`run exited ${code} before the container started`)));
    });
    const id = strataOk(root, ['inspect', '-f', '{{.Id}}', name]).trim();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // The container outlives the CLI, as docker's does; its exit is handled by the supervisor.
    assert.match(strataOk(root, ['ps', '--filter', `name=${name}`, '--format', '{{.Status}}']), /^Up/);
    // Now it may exit (however slow the machine, it did not before the look above).
    strataOk(root, ['exec', name, 'touch', '/tmp/go']);
    const dir = join(root, 'containers', id);
    if (autoRemove) {
      await eventually(() => (strataOk(root, ['ps', '-aq', '--filter', `name=${name}`]) === '' ? true : undefined), 15_000, 'the --rm container to be removed');
    } else {
      await eventually(() => (/^Exited \(3\)/.test(strataOk(root, ['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}'])) ? true : undefined), 15_000, 'the exit to be recorded');
      await eventually(() => (mountsUnder(dir).length === 0 ? true : undefined), 5_000, 'its layers to be unmounted');
      strataOk(root, ['rm', name]);
    }
    assert.deepEqual(mountsUnder(join(root, 'containers')), []);
    checkOk();
  }
});
