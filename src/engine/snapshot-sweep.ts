/**
 * Snapshot housekeeping the garbage collector needs on every removal: cheap to load (no
 * layer codecs), so `rmi` and friends don't pay for extraction code.
 */
import { processAlive } from '../internal/index.ts';
import { temporaryKeyOwner } from '../snapshots/keys.ts';
import type { Snapshotter } from '../snapshots/snapshotter.ts';
import type { Digest } from '../oci/index.ts';
import type { Engine } from './engine.ts';

/**
 * Undoes the extractions of a failed load or import: the snapshots it committed, newest
 * first, and before them any temporary snapshot of this process (an extraction that failed
 * on a full disk could not remove its own, and it stacks on the others).
 */
export function discardSnapshots(snapshotter: Snapshotter, chainIds: string[]): void {
  for (const row of snapshotter.records.all(snapshotter.driver)) {
    if (row.kind === 'committed' || temporaryKeyOwner(row.key) !== process.pid) continue;
    try {
      snapshotter.remove(row.key);
    } catch {
      // Swept once this process is gone.
    }
  }
  for (const chainId of [...chainIds].reverse()) {
    try {
      snapshotter.remove(chainId);
    } catch {
      // Another image started using it meanwhile: then it stays.
    }
  }
}

/**
 * Removes snapshots nothing needs: committed ones no layer record or mounted view stacks on,
 * temporary ones whose process died, and directories without a record.
 */
export function sweepSnapshots(engine: Engine): string[] {
  const snapshotter = engine.snapshotter;
  const layers = new Set(engine.images.layers.all().map((l) => l.chainId));
  const removed: string[] = [];
  const rows = snapshotter.records.all(snapshotter.driver);
  for (const row of rows) {
    const owner = temporaryKeyOwner(row.key);
    if (row.kind !== 'committed' && owner !== undefined && !processAlive(owner)) {
      snapshotter.remove(row.key);
      removed.push(row.key);
    }
  }
  // Committed snapshots top-down, so parents lose their children first.
  let progress = true;
  while (progress) {
    progress = false;
    for (const row of snapshotter.records.all(snapshotter.driver)) {
      if (row.kind !== 'committed' || layers.has(row.key)) continue;
      if (snapshotter.records.children(row.key).length > 0) continue;
      snapshotter.remove(row.key);
      removed.push(row.key);
      progress = true;
    }
  }
  snapshotter.cleanOrphans();
  return removed;
}

/** A pulled layer needs no download when its snapshot and record exist. */
export function layerPresent(engine: Engine, layer: { chainId: Digest }): boolean {
  return engine.snapshotter.stat(layer.chainId)?.kind === 'committed' && engine.images.layers.get(layer.chainId) !== undefined;
}
