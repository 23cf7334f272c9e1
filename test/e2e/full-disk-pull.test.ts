// A pull that fills the disk under the store (a loop-mounted ext4; the registry, on
// 127.0.0.1, keeps its storage elsewhere): exit status 1, one line naming the store's
// filesystem that ran out (its blob ingest, its snapshots, or its database), and the store
// exactly as it was: no blob, snapshot, layer, image or lease, nothing in ingest/ or tmp/,
// `system check` clean. Once the space is back, the same pull succeeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { mountLoopExt4 } from '../helpers/loop-disk.ts';
import { assertLeftAsItWas, LONG_TESTS, searchFailures, storeState, storeWriteFailure, type WritePhase } from '../helpers/full-disk.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { makeImage, makeLayer, RawRegistry } from '../helpers/registry-images.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
// Large enough that the store keeps its 1 MiB database reserve while the disk is empty.
const disk = mountLoopExt4({ sizeMiB: 160 });
const root = join(disk.path, 'store');

const registry = await startRegistry();
await new RawRegistry(registry.url).pushImage('full/small', '1', makeImage([await makeLayer({ 'etc/small': 'small\n' })]));
// Two incompressible layers of 2 MB over a small one: ~4 MB of blobs and as much extracted.
await new RawRegistry(registry.url).pushImage('full/pull', '1', makeImage([
  await makeLayer({ 'etc/base': 'base\n' }),
  await makeLayer({ 'one.bin': randomBytes(2 * MiB) }),
  await makeLayer({ 'two.bin': randomBytes(2 * MiB) }),
]));
const ref = `${registry.host}/full/pull:1`;

/** A fresh store holding one small image, on the disk with `free` bytes left. */
function storeWithFree(free: number): void {
  disk.unfill();
  rmSync(root, { recursive: true, force: true });
  strataOk(root, ['pull', '-q', `${registry.host}/full/small:1`]);
  disk.fillTo(free);
}

/**
 * Pulls with `free` bytes left on the disk. A failure must name the full store, change
 * nothing, and the pull must work once the space is back. Returns the write that failed, or
 * undefined when the pull succeeded.
 */
function attempt(free: number): WritePhase | undefined {
  storeWithFree(free);
  const before = storeState(root);
  const r = strata(root, ['pull', '-q', ref]);
  if (r.status === 0) return undefined;
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  const phase = storeWriteFailure(r.stderr.replace(/\n$/, ''), root, 'Error: ');
  assertLeftAsItWas(root, before, `pull with ${free} bytes free`);
  disk.unfill();
  assert.equal(strataOk(root, ['pull', '-q', ref]), `${ref}\n`);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
  return phase;
}

test('pull on a full disk: every write that can fail names the store\'s filesystem and leaves the store as it was', (t) => {
  // With less than 1 MiB left the pull gives back the database's reserve, which the first blob takes.
  const { phases, needed } = searchFailures(attempt, 64 * KiB, 12 * MiB);
  t.diagnostic(`failed writes seen: ${[...phases].sort().join(', ')}; the pull needs ${needed} bytes free`);
  assert.ok(phases.has('blob'), 'the blobs ran out');
  if (LONG_TESTS) assert.ok(phases.has('snapshot'), `the snapshots ran out too: ${[...phases].join(', ')}`);
});
