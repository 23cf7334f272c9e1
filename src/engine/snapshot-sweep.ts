/**
 * Snapshot housekeeping the garbage collector needs on every removal: cheap to load (no
 * layer codecs), so `rmi` and friends don't pay for extraction code.
 */
import { processAlive } from '../internal/index.ts';
import type { LayerRecords, LeaseRecords } from '../metadata/index.ts';
import { temporaryKeyOwner } from '../snapshots/keys.ts';
import type { Snapshotter } from '../snapshots/snapshotter.ts';

/**
 * Removes snapshots nothing needs: committed ones no layer record, lease or other snapshot
 * stacks on, temporary ones whose process died, and directories without a record.
 *
 * Each removal is decided again inside its own write transaction, so a build or container
 * cannot stack on a snapshot between the check and the removal, and a layer recorded or
 * leased meanwhile is seen: such a snapshot is skipped this time, never an error. A build
 * leases a step's chain ID before it commits the snapshot, which covers the moment between
 * the commit and the layer's record.
 */
export function sweepSnapshots(snapshotter: Snapshotter, layers: LayerRecords, leases: LeaseRecords): string[] {
  const needed = (key: string): boolean => layers.get(key) !== undefined || leases.holds('layer', key);
  const removed: string[] = [];
  for (const row of snapshotter.records.all(snapshotter.driver)) {
    const owner = temporaryKeyOwner(row.key);
    if (row.kind !== 'committed' && owner !== undefined && !processAlive(owner) && snapshotter.removeUnused(row.key)) removed.push(row.key);
  }
  // Committed snapshots top-down, so parents lose their children first.
  let progress = true;
  while (progress) {
    progress = false;
    const recorded = new Set(layers.all().map((l) => l.chainId));
    for (const row of snapshotter.records.all(snapshotter.driver)) {
      if (row.kind !== 'committed' || recorded.has(row.key)) continue;
      if (!snapshotter.removeUnused(row.key, () => needed(row.key))) continue;
      removed.push(row.key);
      progress = true;
    }
  }
  snapshotter.cleanOrphans();
  return removed;
}
