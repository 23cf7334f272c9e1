// The garbage collection behind every prune, on a real store: a layer a lease holds keeps its
// snapshot even before any layer record names it (a build step between committing its
// snapshot and recording its layer), and what others stack on is skipped, not an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../src/engine/index.ts';
import { LeaseRecords } from '../../../src/metadata/index.ts';
import { commitActive, temporaryKey } from '../../../src/snapshots/index.ts';
import type { Digest } from '../../../src/oci/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/** A committed snapshot holding one file, with no layer record (as a build step makes it). */
async function committedStep(engine: Engine, parent: string | undefined, content: string, hold?: (chainId: Digest) => void): Promise<Digest> {
  const key = temporaryKey('build');
  engine.snapshotter.prepare(key, parent);
  const row = engine.snapshotter.stat(key);
  assert.ok(row);
  writeFileSync(join(engine.snapshotter.fsDir(row), 'step.txt'), content);
  return (await commitActive(engine.snapshotter, key, hold)).chainId;
}

function fileOf(engine: Engine, chainId: string): string {
  const row = engine.snapshotter.stat(chainId);
  assert.ok(row, `snapshot ${chainId} is gone`);
  return readFileSync(join(engine.snapshotter.fsDir(row), 'step.txt'), 'utf8');
}

test('a leased snapshot no layer record names yet survives garbage collection; once released it goes', async () => {
  const engine = Engine.open({ root: tempDir() });
  const leases = new LeaseRecords(engine.db);
  const lease = leases.create();
  const chainId = await committedStep(engine, undefined, 'leased\n');
  leases.add(lease, 'layer', chainId);
  engine.collectGarbage();
  assert.equal(fileOf(engine, chainId), 'leased\n');
  leases.release(lease);
  engine.collectGarbage();
  assert.equal(engine.snapshotter.stat(chainId), undefined);
  engine.close();
});

test('commitActive hands the chain ID to the caller before the snapshot is committed', async () => {
  const engine = Engine.open({ root: tempDir() });
  const seen: { chainId: string; committed: boolean }[] = [];
  const chainId = await committedStep(engine, undefined, 'x\n', (id) => seen.push({ chainId: id, committed: engine.snapshotter.stat(id) !== undefined }));
  assert.deepEqual(seen, [{ chainId, committed: false }]);
  engine.close();
});

test('a committed snapshot another stacks on is skipped by the collection, not an error, and goes once it is alone', async () => {
  const engine = Engine.open({ root: tempDir() });
  const base = await committedStep(engine, undefined, 'base\n');
  // A writable snapshot of this (live) process on it, as a running build step or container has.
  const child = temporaryKey('build');
  engine.snapshotter.prepare(child, base);
  engine.collectGarbage();
  assert.equal(fileOf(engine, base), 'base\n');
  engine.snapshotter.remove(child);
  engine.collectGarbage();
  assert.equal(engine.snapshotter.stat(base), undefined);
  engine.close();
});
