// A build on a full disk (the store on a loop-mounted ext4): a COPY that does not fit, and a
// RUN that fills the disk itself. Each fails with exit status 1 and says what ran out, leaves
// the store as it was (no snapshot, cache entry, image or lease; nothing in tmp/ or ingest/;
// no mount, no container or supervisor left running), and builds once the space is back.
// On a disk that keeps blocks for root (ext4's default 5%), the RUN's container fills only
// what an unprivileged writer may, and the build itself still has room to record its layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { mountLoopExt4, type LoopDisk } from '../helpers/loop-disk.ts';
import { assertLeftAsItWas, searchFailures, storeState, storeWriteFailure, type WritePhase } from '../helpers/full-disk.ts';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { canRunContainers } from './containers-fixture.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const BASE = 'full/busybox:1';
const skip = canRunContainers() ? false : 'needs root and runc';

/** A store on `disk` with a busybox base image built by strata (so its runtime files exist too). */
function storeOn(disk: LoopDisk): string {
  const root = join(disk.path, 'store');
  const ctx = tempDir('strata-full-base-');
  copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n');
  strataOk(root, ['build', '-q', '-t', BASE, ctx]);
  return root;
}

function context(dockerfile: string, files: Record<string, Buffer> = {}): string {
  const dir = tempDir('strata-full-ctx-');
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
}

/** The build's last line: BuildKit's `ERROR: failed to solve: …`. */
function solveError(stderr: string): string {
  const last = stderr.trimEnd().split('\n').at(-1) ?? '';
  assert.match(last, /^ERROR: failed to solve: /, stderr);
  return last.slice('ERROR: failed to solve: '.length);
}

/** The build's containers runc still knows of (none may outlive the build). */
function buildContainers(root: string): unknown[] {
  const out = execFileSync('runc', ['--root', join(root, 'runtime', 'runc'), 'list', '--format', 'json'], { encoding: 'utf8' });
  return (JSON.parse(out) as unknown[] | null) ?? [];
}

test('a COPY that does not fit: its snapshot, record or image named, the store as it was', { skip }, (t) => {
  const disk = mountLoopExt4({ sizeMiB: 160 });
  const root = storeOn(disk);
  const ctx = context(`FROM ${BASE}\nCOPY big /big\n`, { big: randomBytes(4_000_000) });
  const attempt = (free: number): WritePhase | undefined => {
    let phase: WritePhase | undefined;
    try {
      disk.fillTo(free);
      const before = storeState(root);
      const r = strata(root, ['build', '--progress=plain', '-t', 'copied:1', ctx]);
      if (r.status !== 0) {
        assert.equal(r.status, 1, r.stderr);
        // The COPY's own files name the step: `copy big to /big: …`.
        phase = storeWriteFailure(solveError(r.stderr).replace(/^(write to [^:]+): copy big to \/big: /, '$1: '), root);
        if (/\n#4 DONE /.test(r.stderr)) {
          // The image could not be recorded. As BuildKit, the build keeps the cache of the
          // steps it completed (a sound entry: `system check` finds no leftover); a prune of
          // the cache gives the space back.
          assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
          strataOk(root, ['builder', 'prune', '-f']);
        }
        // The context's file hashes are remembered even by a failed build (they describe the
        // context, not the store's content; `builder prune -a` forgets them).
        assertLeftAsItWas(root, before, `build with ${free} bytes free`, { ignoredTables: ['build_file_hashes'] });
      }
    } finally {
      disk.unfill();
    }
    if (phase !== undefined) strataOk(root, ['build', '-q', '-t', 'copied:1', ctx]);
    strataOk(root, ['rmi', 'copied:1']);
    strataOk(root, ['builder', 'prune', '-a', '-f']);
    assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
    return phase;
  };
  const { phases, needed } = searchFailures(attempt, 1 * MiB, 10 * MiB);
  assert.ok(phases.has('snapshot'), 'the copied file ran out of space');
  t.diagnostic(`failed writes seen: ${[...phases].sort().join(', ')}; the build needs ${needed} bytes free`);
});

test('a RUN that fills the disk and fails: no container left, its files gone, the store as it was', { skip }, () => {
  const disk = mountLoopExt4({ sizeMiB: 96 });
  const root = storeOn(disk);
  const ctx = context(`FROM ${BASE}\nRUN dd if=/dev/zero of=/big bs=64k\nRUN echo next\n`);
  const free = disk.available();
  const before = storeState(root);
  // Twice: the first failure left nothing in the way of the second.
  for (let i = 0; i < 2; i++) {
    const r = strata(root, ['build', '--progress=plain', '-t', 'filled:1', ctx]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /\n#4 [0-9.]+ dd: error writing '\/big': No space left on device\n/);
    assert.equal(solveError(r.stderr), 'process "/bin/sh -c dd if=/dev/zero of=/big bs=64k" did not complete successfully: exit code: 1');
    assert.deepEqual(buildContainers(root), [], 'the RUN\'s container is gone');
    assertLeftAsItWas(root, before, `build ${i + 1}`);
    assert.ok(disk.available() > free - 1 * MiB, `the step's files are gone: ${disk.available()} bytes free, ${free} before`);
  }
});

// ext4 keeps blocks for root (5% by default): the container, without CAP_SYS_RESOURCE, stops
// short of them. Without them (-m 0) the container takes every block; the room its
// supervisor held for its exit record comes back when it exits, enough for the build to
// record the step.
for (const reservedPercent of [5, 0]) {
  test(`a RUN that fills the disk (${reservedPercent}% kept for root) and exits 0: the build records its layer; removing it gives the space back`, { skip }, () => {
    const disk = mountLoopExt4({ sizeMiB: 96, reservedPercent });
    const root = storeOn(disk);
    const free = disk.available();
    const ctx = context(`FROM ${BASE}\nRUN dd if=/dev/zero of=/big bs=64k || true\nRUN echo next\n`);
    const r = strata(root, ['build', '--progress=plain', '-t', 'filled:1', ctx]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /\n#4 [0-9.]+ dd: error writing '\/big': No space left on device\n/);
    assert.ok(disk.available() < 2 * MiB, `the container filled the disk: ${disk.available()} bytes left`);
    assert.deepEqual(buildContainers(root), []);
    assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
    assert.match(strataOk(root, ['history', '--no-trunc', '--format', '{{.CreatedBy}} {{.Size}}', 'filled:1']), /^RUN \/bin\/sh -c echo next # buildkit 0B\nRUN \/bin\/sh -c dd if=\/dev\/zero of=\/big bs=64k \|\| true # buildkit [0-9.]+MB\n/);
    strataOk(root, ['rmi', 'filled:1']);
    strataOk(root, ['builder', 'prune', '-a', '-f']);
    assert.ok(disk.available() > free - 1 * MiB, `${disk.available()} bytes free after the prune, ${free} before`);
    assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
  });
}
