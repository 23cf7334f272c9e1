/**
 * Disk use of images as `system df` reports it: every layer counted once in the total,
 * a layer used by more than one image counted as shared in each of them. All from sizes
 * recorded when the layers were stored: nothing walks the disk.
 */
import type { ImageStore } from './image-store.ts';

export interface ImageUsage {
  /** Per image: size, shared size (layers other images use too). */
  perImage: Map<string, { size: number; sharedSize: number }>;
  /** Total bytes of all layers any image uses, each counted once. */
  layersSize: number;
}

export function imageUsage(store: ImageStore): ImageUsage {
  const layerSizes = new Map(store.layers.all().map((l) => [l.chainId, l.size]));
  const pairs = store.records.allImageLayers();
  const users = new Map<string, Set<string>>();
  for (const { imageId, chainId } of pairs) {
    let set = users.get(chainId);
    if (!set) users.set(chainId, (set = new Set()));
    set.add(imageId);
  }
  const perImage = new Map<string, { size: number; sharedSize: number }>();
  for (const row of store.records.all()) perImage.set(row.id, { size: row.size, sharedSize: 0 });
  for (const { imageId, chainId } of pairs) {
    if ((users.get(chainId)?.size ?? 0) > 1) {
      const entry = perImage.get(imageId);
      if (entry) entry.sharedSize += layerSizes.get(chainId) ?? 0;
    }
  }
  let layersSize = 0;
  for (const chainId of users.keys()) layersSize += layerSizes.get(chainId) ?? 0;
  return { perImage, layersSize };
}
