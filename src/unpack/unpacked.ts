/**
 * What is unpacked already, and undoing an unpack that failed half-way. Loaded with the
 * engine, so it stays light (no layer codec).
 */
import type { Digest } from '../oci/index.ts';
import type { LayerRecords } from '../metadata/index.ts';
import { temporaryKeyOwner } from '../snapshots/keys.ts';
import type { Snapshotter } from '../snapshots/snapshotter.ts';

/** A pulled layer needs no download when its snapshot and record exist. */
export function layerPresent(stores: { snapshotter: Snapshotter; layers: LayerRecords }, layer: { chainId: Digest }): boolean {
  return stores.snapshotter.stat(layer.chainId)?.kind === 'committed' && stores.layers.get(layer.chainId) !== undefined;
}

/**
 * Undoes the extractions of a failed load or import: the snapshots it committed, newest
 * first, and before them any temporary snapshot of this process (an extraction that failed
 * on a full disk could not remove its own, and it stacks on the others).
 */
export function discardSnapshots(snapshotter: Snapshotter, chainIds: string[]): void {
  for (const row of snapshotter.walk()) {
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
