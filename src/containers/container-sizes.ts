/** A container's sizes as docker reports them: its writable layer (SizeRw) and its image's layers (for SizeRootFs). */
import type { LayerRecords } from '../metadata/index.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import type { Container } from './container.ts';
import { treeSize } from './tree-size.ts';

/** Bytes of the container's writable layer (docker's SizeRw); 0 when it can't be read. */
export function writableLayerSize(snapshotter: Snapshotter, c: Pick<Container, 'id'>): number {
  const row = snapshotter.stat(c.id);
  if (!row) return 0;
  try {
    return treeSize(snapshotter.fsDir(row));
  } catch {
    return 0;
  }
}

/** The image's bytes under the container, from the layer records (nothing is walked). */
export function imageLayersSize(layers: Pick<LayerRecords, 'get'>, c: Pick<Container, 'layerChain'>): number {
  let total = 0;
  let chain: string | null = c.layerChain === '' ? null : c.layerChain;
  while (chain) {
    const layer = layers.get(chain);
    if (!layer) break;
    total += layer.size;
    chain = layer.parent;
  }
  return total;
}
