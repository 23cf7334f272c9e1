// The writable layer on a full disk: `commit` of changes that do not fit, `cp` into a
// container whose store's disk (a loop-mounted ext4) is full, and `cp` out of one into a full
// host directory. Each fails with exit status 1 and one line naming what ran out, leaves the
// store (files, rows, `system check`, mounts, processes) and the destination as they were,
// and works once the space is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { mountLoopExt4 } from '../helpers/loop-disk.ts';
import { mountTmpfs } from '../helpers/tmpfs.ts';
import { assertLeftAsItWas, LONG_TESTS, searchFailures, storeState, storeWriteFailure, type WritePhase } from '../helpers/full-disk.ts';
import { BUSYBOX, busyboxTree, canRunContainers, removeAll, strata, strataOk } from './containers-fixture.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const skip = canRunContainers() ? false : 'needs root and runc';
const work = tempDir('strata-full-ctr-');
const disk = skip ? undefined : mountLoopExt4({ sizeMiB: 160, beforeUnmount: () => removeAll(root) });
const root = join(disk?.path ?? work, 'store');
/** 4 MB nobody can compress, on the host (off the full disk). */
const bigFile = join(work, 'big');
writeFileSync(bigFile, randomBytes(4_000_000));

if (disk) {
  const tar = join(work, 'rootfs.tar');
  execFileSync('tar', ['-C', busyboxTree(work), '-cf', tar, '.']);
  strataOk(root, ['import', '-c', 'CMD ["/bin/sh"]', tar, BUSYBOX]);
  // A container whose writable layer holds the big file and a directory of two files.
  strataOk(root, ['create', '--name', 'changed', BUSYBOX]);
  strataOk(root, ['cp', bigFile, 'changed:/big']);
}

function fill(free: number): void {
  disk?.fillTo(free);
}

function unfill(): void {
  disk?.unfill();
}

/**
 * Commits `changed` with `free` bytes left on the disk. A failure must name the full store
 * and change nothing, and the commit must work once the space is back (its image is removed
 * again). Returns the write that failed, or undefined when the commit succeeded.
 */
function attemptCommit(free: number): WritePhase | undefined {
  let phase: WritePhase | undefined;
  try {
    fill(free);
    const before = storeState(root);
    const r = strata(root, ['commit', 'changed', 'committed:1']);
    if (r.status !== 0) {
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, '');
      phase = storeWriteFailure(r.stderr.replace(/\n$/, ''), root, 'Error: ');
      assertLeftAsItWas(root, before, `commit with ${free} bytes free`);
    }
  } finally {
    unfill();
  }
  if (phase !== undefined) strataOk(root, ['commit', 'changed', 'committed:1']);
  assert.match(strataOk(root, ['run', '--rm', 'committed:1', 'sh', '-c', 'wc -c < /big']), /^4000000\n$/);
  strataOk(root, ['rmi', 'committed:1']);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
  return phase;
}

test('commit of changes that do not fit: the snapshot, blob or record named, the store as it was', { skip }, (t) => {
  const { phases, needed } = searchFailures(attemptCommit, 64 * KiB, 10 * MiB);
  t.diagnostic(`failed writes seen: ${[...phases].sort().join(', ')}; the commit needs ${needed} bytes free`);
  assert.ok(phases.has('snapshot'), 'the layer\'s files ran out');
});

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** What `diff` says of a container: its writable layer's changes. */
function changes(name: string): string {
  return strataOk(root, ['diff', name]);
}

for (const state of ['stopped', 'running'] as const) {
  test(`cp into a ${state} container on a full disk: its writable layer or volume named, nothing half-copied left`, { skip }, () => {
    const name = `cp-in-${state}`;
    const volume = `${name}-data`;
    const mounts = ['-v', `${volume}:/vol`];
    if (state === 'running') strataOk(root, ['run', '-d', '--name', name, ...mounts, BUSYBOX, 'sleep', '1000']);
    else strataOk(root, ['create', '--name', name, ...mounts, BUSYBOX]);
    const volumeDir = join(root, 'volumes', volume, '_data');
    const sources = tempDir('strata-cp-src-');
    mkdirSync(join(sources, 'dir'));
    writeFileSync(join(sources, 'dir', 'small'), 'small\n');
    writeFileSync(join(sources, 'dir', 'large'), randomBytes(3_000_000));
    // The first copies mount its layers and copy /tmp up from the image (overlayfs's doing,
    // as after any write there): the mount point, work/work and the upper's /tmp stay.
    strataOk(root, ['cp', join(sources, 'dir', 'small'), `${name}:/first`]);
    strataOk(root, ['cp', join(sources, 'dir', 'small'), `${name}:/tmp/first`]);
    const all: [src: string, dest: string][] = [
      [bigFile, `${name}:/copied`], // a new file
      [bigFile, `${name}:/tmp/`], // into a directory, under its own name
      [join(sources, 'dir'), `${name}:/`], // a directory
      [`${join(sources, 'dir')}/.`, `${name}:/tmp`], // a directory's contents
      [bigFile, `${name}:/vol/`], // into a volume
    ];
    // A running container (frozen for each copy) tries two of them unless STRATA_LONG_TESTS=1.
    const cases = all.filter(([, dest]) => LONG_TESTS || state === 'stopped' || /:\/(copied|vol\/)$/.test(dest));
    try {
      for (const [src, dest] of cases) {
        fill(512 * KiB);
        const before = { state: storeState(root), changes: changes(name) };
        const r = strata(root, ['cp', src, dest]);
        assert.equal(r.status, 1, `cp ${src} ${dest}: ${r.stderr}`);
        if (dest.includes(':/vol')) {
          assert.equal(r.stderr, `Error: copy to ${dest}: write to ${volumeDir}: layer entry "big": no space left on device\n`);
        } else {
          assert.equal(storeWriteFailure(r.stderr.replace(/\n$/, ''), root, `Error: copy to ${escaped(dest)}: `), 'snapshot');
        }
        assertLeftAsItWas(root, before.state, `cp ${src} ${dest}`);
        assert.equal(changes(name), before.changes, `cp ${src} ${dest} left part of the copy`);
        assert.equal(strataOk(root, ['inspect', '-f', '{{.State.Status}}', name]), `${state === 'running' ? 'running' : 'created'}\n`);
      }
    } finally {
      unfill();
    }
    for (const [src, dest] of cases) strataOk(root, ['cp', src, dest]);
    const expected = ['A /copied', 'A /dir', 'A /dir/large', 'A /dir/small', 'A /tmp/big', 'A /tmp/large', 'A /tmp/small'];
    assert.deepEqual(
      changes(name).split('\n').filter((l) => /\/(copied|big|dir|large|small)$/.test(l)).sort(),
      cases.length === all.length ? expected : ['A /copied'],
    );
    assert.deepEqual(readdirSync(volumeDir), ['big']);
    strataOk(root, ['rm', '-f', '-v', name]);
    assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
  });
}

test('cp out of a container into a full host directory: the destination named, nothing half-written left there', { skip }, () => {
  const host = mountTmpfs({ size: '8m' });
  const dest = join(host, 'dest');
  mkdirSync(dest);
  writeFileSync(join(dest, 'kept'), 'kept\n');
  const filler = join(host, 'filler');
  const s = statfsSync(host);
  writeFileSync(filler, Buffer.alloc(s.bavail * s.bsize - 1 * MiB));
  const cases: [src: string, target: string][] = [
    ['changed:/big', `${dest}/`], // into a directory, under its own name
    ['changed:/big', join(dest, 'new')], // a new file
    ['changed:/.', dest], // the whole tree's contents
  ];
  try {
    for (const [src, target] of cases) {
      const before = { state: storeState(root), files: readdirSync(dest).sort() };
      const r = strata(root, ['cp', src, target]);
      assert.equal(r.status, 1, `cp ${src} ${target}: ${r.stderr}`);
      assert.equal(r.stderr, `Error: copy to ${target}: no space left on device\n`);
      assertLeftAsItWas(root, before.state, `cp ${src} ${target}`);
      assert.deepEqual(readdirSync(dest).sort(), before.files, `cp ${src} ${target} left part of the copy`);
      assert.equal(readFileSync(join(dest, 'kept'), 'utf8'), 'kept\n');
    }
  } finally {
    rmSync(filler);
  }
  strataOk(root, ['cp', 'changed:/big', `${dest}/`]);
  assert.deepEqual(readFileSync(join(dest, 'big')), readFileSync(bigFile));
});
