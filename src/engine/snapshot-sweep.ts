/**
 * Snapshot housekeeping the garbage collector needs on every removal: cheap to load (no
 * layer codecs), so `rmi` and friends don't pay for extraction code.
 */
import { processAlive } from '../internal/index.ts';
import { temporaryKeyOwner } from '../snapshots/keys.ts';
import type { Snapshotter } from '../snapshots/snapshotter.ts';
import type { Digest } from '../oci/index.ts';
import type { Engine } from './engine.ts';

export function discardSnapshots(snapshotter: Snapshotter, chainIds: string[]): void {
  for (const chainId of [...chainIds].reverse()) {
    try {
      snapshotter.remove(chainId);
    } catch {
      // Another image started using it meanwhile: then it stays.
    }
  }
}

/** What a snapshot sweep removes. */
export interface SnapshotSweep {
  /** Temporary snapshots whose process is gone (a crashed pull, build, commit…). */
  temporary: { key: string; pid: number }[];
  /** Committed snapshots no layer record or other snapshot needs, top-down. */
  committed: string[];
  /** Directories without a record, older than an hour. */
  orphans: string[];
  /** Directories whose removal was interrupted. */
  trash: string[];
}

/** A temporary snapshot of a process that is gone: it keeps nothing alive. */
export function deadTemporary(key: string): number | undefined {
  const owner = temporaryKeyOwner(key);
  return owner !== undefined && !processAlive(owner) ? owner : undefined;
}

/**
 * What `sweepSnapshots` would remove if only the layers in `layers` had records (the check
 * passes the layers a collection would leave); changes nothing.
 */
export function planSnapshotSweep(snapshotter: Snapshotter, layers: ReadonlySet<string>): SnapshotSweep {
  const rows = snapshotter.records.all(snapshotter.driver);
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
      if (row.kind !== 'committed' || gone.has(row.key) || layers.has(row.key) || (children.get(row.key) ?? 0) > 0) continue;
      committed.push(row.key);
      drop(row);
      progress = true;
    }
  }
  return { temporary, committed, orphans: snapshotter.orphanDirs(), trash: snapshotter.trashEntries() };
}

/**
 * Removes snapshots nothing needs: temporary ones whose process died, committed ones no
 * layer record or mounted view stacks on, and directories without a record.
 * @returns what it removed
 */
export function sweepSnapshots(engine: Engine): SnapshotSweep {
  const snapshotter = engine.snapshotter;
  const plan = planSnapshotSweep(snapshotter, new Set(engine.images.layers.all().map((l) => l.chainId)));
  const removable = (key: string): boolean => {
    try {
      snapshotter.remove(key);
      return true;
    } catch {
      // Something stacked on it meanwhile: then it stays.
      return false;
    }
  };
  const temporary = plan.temporary.filter((t) => removable(t.key));
  const committed = plan.committed.filter(removable);
  snapshotter.cleanOrphans(plan.orphans, plan.trash);
  return { ...plan, temporary, committed };
}

/** A pulled layer needs no download when its snapshot and record exist. */
export function layerPresent(engine: Engine, layer: { chainId: Digest }): boolean {
  return engine.snapshotter.stat(layer.chainId)?.kind === 'committed' && engine.images.layers.get(layer.chainId) !== undefined;
}
