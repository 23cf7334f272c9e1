/**
 * What is unpacked already, and undoing an unpack that failed half-way. Loaded with the
 * engine, so it stays light (no layer codec).
 */
import type { Digest } from '../oci/index.ts';
import type { LayerRecords } from '../metadata/index.ts';
import type { Snapshotter } from '../snapshots/snapshotter.ts';

/** A pulled layer needs no download when its snapshot and record exist. */
export function layerPresent(stores: { snapshotter: Snapshotter; layers: LayerRecords }, layer: { chainId: Digest }): boolean {
  return stores.snapshotter.stat(layer.chainId)?.kind === 'committed' && stores.layers.get(layer.chainId) !== undefined;
}

/** Removes the snapshots a failed load or import created, top-down. */
export function discardSnapshots(snapshotter: Snapshotter, chainIds: string[]): void {
  for (const chainId of [...chainIds].reverse()) {
    try {
      snapshotter.remove(chainId);
    } catch {
      // Another image started using it meanwhile: then it stays.
    }
  }
}
