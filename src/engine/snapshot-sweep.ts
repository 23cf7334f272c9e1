/**
 * Snapshot housekeeping the garbage collector needs on every removal: cheap to load (no
 * layer codecs), so `rmi` and friends don't pay for extraction code.
 */
import { processAlive } from '../internal/index.ts';
import type { LayerRecords, LeaseRecords } from '../metadata/index.ts';
import { temporaryKeyOwner } from '../snapshots/keys.ts';
import type { Snapshotter } from '../snapshots/snapshotter.ts';


/** What a snapshot sweep removes. */
export interface SnapshotSweep {
  /** Temporary snapshots whose process is gone (a crashed pull, build, commit…). */
  temporary: { key: string; pid: number }[];
  /** Committed snapshots no layer record, lease or other snapshot needs, top-down. */
  committed: string[];
  /** Directories without a record, older than an hour. */
  orphans: string[];
  /** Directories whose removal was interrupted. */
  trash: string[];
}

/** Whether a layer record or a lease keeps committed snapshot `key`. */
function neededBy(layers: LayerRecords, leases: LeaseRecords): (key: string) => boolean {
  return (key) => layers.get(key) !== undefined || leases.holds('layer', key);
}

/** A temporary snapshot of a process that is gone: it keeps nothing alive. */
export function deadTemporary(key: string): number | undefined {
  const owner = temporaryKeyOwner(key);
  return owner !== undefined && !processAlive(owner) ? owner : undefined;
}

/**
 * What `sweepSnapshots` would remove, with `needed` saying which committed snapshots a
 * layer record or a lease keeps (the check passes the layers a collection would leave);
 * changes nothing.
 */
export function planSnapshotSweep(snapshotter: Snapshotter, needed: (key: string) => boolean): SnapshotSweep {
  const rows = snapshotter.walk();
  const children = new Map<string, number>();
  for (const row of rows) if (row.parent) children.set(row.parent, (children.get(row.parent) ?? 0) + 1);
  const gone = new Set<string>();
  const drop = (row: { key: string; parent: string | null }): void => {
    gone.add(row.key);
    if (row.parent) children.set(row.parent, (children.get(row.parent) ?? 1) - 1);
  };
  const temporary: SnapshotSweep['temporary'] = [];
  for (const row of rows) {
    const pid = row.kind === 'committed' ? undefined : deadTemporary(row.key);
    if (pid === undefined) continue;
    temporary.push({ key: row.key, pid });
    drop(row);
  }
  // Committed snapshots top-down, so parents lose their children first.
  const committed: string[] = [];
  let progress = true;
  while (progress) {
    progress = false;
    for (const row of rows) {
      if (row.kind !== 'committed' || gone.has(row.key) || needed(row.key) || (children.get(row.key) ?? 0) > 0) continue;
      committed.push(row.key);
      drop(row);
      progress = true;
    }
  }
  return { temporary, committed, orphans: snapshotter.orphanDirs(), trash: snapshotter.trashEntries() };
}

/**
 * Removes snapshots nothing needs: temporary ones whose process died, committed ones no
 * layer record, lease or other snapshot stacks on, and directories without a record.
 *
 * Each removal is decided again inside its own write transaction, so a build or container
 * cannot stack on a snapshot between the plan and the removal, and a layer recorded or
 * leased meanwhile is seen: such a snapshot is skipped this time, never an error. A build
 * leases a step's chain ID before it commits the snapshot, which covers the moment between
 * the commit and the layer's record.
 * @returns what it removed
 */
export function sweepSnapshots(snapshotter: Snapshotter, layers: LayerRecords, leases: LeaseRecords): SnapshotSweep {
  const needed = neededBy(layers, leases);
  const plan = planSnapshotSweep(snapshotter, needed);
  const temporary = plan.temporary.filter((t) => snapshotter.removeUnused(t.key));
  const committed = plan.committed.filter((key) => snapshotter.removeUnused(key, () => needed(key)));
  snapshotter.cleanOrphans(plan.orphans, plan.trash);
  return { ...plan, temporary, committed };
}

/**
 * Removes the committed snapshots `keys` (listed bottom first) that no layer record, lease
 * or other snapshot needs, top-down, each decided in its own transaction as the sweep does.
 * @returns the keys it removed
 */
export function removeUnneededSnapshots(snapshotter: Snapshotter, layers: LayerRecords, leases: LeaseRecords, keys: readonly string[]): string[] {
  const needed = neededBy(layers, leases);
  return [...keys].reverse().filter((key) => snapshotter.stat(key)?.kind === 'committed' && snapshotter.removeUnused(key, () => needed(key)));
}
