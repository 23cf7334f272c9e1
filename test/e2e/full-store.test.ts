// A load or import that fills the filesystem under the store: one line naming the input and
// the path that ran out of space, exit status 1, and the store exactly as it was (files, rows,
// `system check`), whichever write hit the wall: a blob, a snapshot's files, or SQLite's
// database. Each attempt runs on a fresh tmpfs whose free space a filler file sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { storeContents } from '../helpers/store-contents.ts';

const ARCHIVE = new URL('../fixtures/docker-save/three-images.tar', import.meta.url).pathname;
const KiB = 1024;
const dir = tempDir();

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Which write ran out of space, from the message; fails the test on any other message. */
function phaseOf(stderr: string, input: string, root: string): string {
  const m = new RegExp(`^Error: ${escaped(input)}: (write to ${escaped(root)}/(content/ingest|snapshots/overlay: layer entry "[^"]+")|write ${escaped(root)}/metadata\\.db): no space left on device\\n$`).exec(stderr);
  assert.ok(m, `unexpected message: ${stderr}`);
  if (m[2]?.startsWith('content')) return 'blob';
  if (m[2]?.startsWith('snapshots')) return 'snapshot';
  return 'database';
}

/**
 * Runs `args` against a fresh store (holding one small image) on an 8 MiB tmpfs with `free`
 * bytes left. A failure must be a full disk that changed nothing; returns its phase, or
 * undefined when the command succeeded.
 */
function attempt(args: string[], input: string, free: number): string | undefined {
  const mountPoint = mkdtempSync(join(tmpdir(), 'strata-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint]);
  try {
    const root = join(mountPoint, 'store');
    const rootfs = join(mountPoint, 'rootfs');
    mkdirSync(rootfs);
    writeFileSync(join(rootfs, 'hello'), 'hello\n');
    strataOk(root, ['import', '-', 'base:1'], { input: execFileSync('tar', ['-C', rootfs, '-cf', '-', '.']) });
    const stat = statfsSync(mountPoint);
    const filler = stat.bavail * stat.bsize - free;
    assert.ok(filler >= 0, `the tmpfs has less than ${free} bytes free`);
    writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(filler));
    const before = storeContents(root);
    const r = strata(root, args);
    if (r.status === 0) return undefined;
    assert.equal(r.status, 1, r.stderr);
    const phase = phaseOf(r.stderr, input, root);
    assert.deepEqual(storeContents(root), before, `${args.join(' ')} with ${free} bytes free changed the store`);
    return phase;
  } finally {
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
}

test('load on a full disk: every point of failure names the path and leaves the store as it was', (t) => {
  const args = ['load', '-i', ARCHIVE];
  const phases = new Set<string>();
  // The archive's blobs take ~2.2 MB, their snapshots as much again.
  for (const free of [256 * KiB, 3 * 1024 * KiB]) {
    const phase = attempt(args, ARCHIVE, free);
    assert.ok(phase !== undefined, `load succeeded with ${free} bytes free`);
    phases.add(phase);
  }
  assert.deepEqual([...phases].sort(), ['blob', 'snapshot']);
  // The last writes (the last layer's files, the records) fail just below the space the load
  // needs: find it by bisection, every failing step checked the same way.
  let low = 3 * 1024 * KiB;
  let high = 7 * 1024 * KiB;
  assert.equal(attempt(args, ARCHIVE, high), undefined, 'load succeeds with room to spare');
  while (high - low > 16 * KiB) {
    const middle = Math.floor((low + high) / 2 / 4096) * 4096;
    const phase = attempt(args, ARCHIVE, middle);
    if (phase === undefined) high = middle;
    else {
      low = middle;
      phases.add(phase);
    }
  }
  t.diagnostic(`failed writes seen: ${[...phases].sort().join(', ')}; the load needs ${high} bytes free`);
});

test('import on a full disk: the blob or the snapshot, named, and the store as it was', () => {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs);
  writeFileSync(join(rootfs, 'data'), randomBytes(1_500_000));
  const tar = join(dir, 'rootfs.tar');
  execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
  const args = ['import', tar, 'big:1'];
  assert.equal(attempt(args, tar, 256 * KiB), 'blob');
  assert.equal(attempt(args, tar, 2 * 1024 * KiB), 'snapshot');
  assert.equal(attempt(args, tar, 6 * 1024 * KiB), undefined, 'import succeeds with room to spare');
});
