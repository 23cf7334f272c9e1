/**
 * The end of a load or import, failed or not: what it wrote that no record references goes,
 * then its lease. Files first: on a full disk SQLite cannot even release a lease until they
 * gave their space back. Never throws: a failed command's own error is the one the user must
 * see, and a lease left behind dies with this process (the next collection drops it).
 */
import type { GarbageCollector } from '../gc/index.ts';
import type { ImageStore } from '../images/index.ts';
import type { LeaseRecords } from '../metadata/index.ts';
import type { Digest } from '../oci/index.ts';

export interface UnrecordedWrites {
  leases: LeaseRecords;
  leaseId: string;
  gc: GarbageCollector;
  /** Blobs this command created; those no record references are removed. */
  blobs: readonly Digest[];
  /** When the command failed: the snapshots it created, and how to remove them (the engine's `SnapshotDiscarder`). */
  snapshots?: { created: string[]; discard: ((chainIds: string[]) => void) | undefined };
  /** Where the images are recorded: on a full disk, content/index.json may not have been rewritten after the commit. */
  images: ImageStore;
}

export function dropUnrecorded(writes: UnrecordedWrites): void {
  attempt(() => writes.gc.discardBlobs(writes.blobs, { exceptLease: writes.leaseId }));
  const snapshots = writes.snapshots;
  if (snapshots?.discard) attempt(() => snapshots.discard?.(snapshots.created));
  attempt(() => writes.leases.release(writes.leaseId));
  writes.images.restoreIndex();
}

function attempt(step: () => void): void {
  try {
    step();
  } catch {
    // Left for `system check --repair` and the next garbage collection.
  }
}
