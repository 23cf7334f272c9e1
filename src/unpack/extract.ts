/**
 * Unpacking stored layers: extracting an image's layers (from their blobs) into committed
 * snapshots keyed by chain ID. Loaded only by the commands that extract (load, import, run,
 * build, image mount): it brings the layer codec with it.
 */
import { dataLoss } from '../errdefs/index.ts';
import { chainIds, type Digest } from '../oci/index.ts';
import { extractLayer } from '../snapshots/index.ts';
import type { ContentStore } from '../content/index.ts';
import type { ImageStore } from '../images/index.ts';
import type { Snapshotter } from '../snapshots/snapshotter.ts';

/** Where layers are unpacked from (blobs) and to (snapshots). */
export interface UnpackStores {
  snapshotter: Snapshotter;
  content: ContentStore;
}

/** A layer to extract: its place in the chain and the stored blob that holds it. */
export interface LayerToUnpack {
  chainId: Digest;
  parent: Digest | undefined;
  diffId: Digest;
  blob: { digest: Digest; mediaType: string };
  /** The caller measured the blob's diff_id as it stored it: extraction need not hash it again. */
  verified?: boolean;
}

/**
 * Extracts layers bottom-up, recording each snapshot it creates in `created`. How deep an
 * image may be was checked when it was made (images/image-depth.ts).
 */
export async function unpackLayers(stores: UnpackStores, layers: LayerToUnpack[], created: string[]): Promise<void> {
  for (const layer of layers) {
    if (stores.snapshotter.stat(layer.chainId)) continue;
    const stats = await extractLayer(stores.snapshotter, {
      chainId: layer.chainId,
      ...(layer.parent ? { parent: layer.parent } : {}),
      expectedDiffId: layer.diffId,
      verified: layer.verified === true,
      // Read from the blob's file: an uncompressed layer then goes in with no copy (diff/apply.ts).
      source: { file: stores.content.blobFile(layer.blob.digest) },
    });
    if (stats) created.push(layer.chainId);
  }
}

/** Makes sure every layer of image `id` is extracted (images stored before their layers were). */
export async function ensureExtracted(stores: UnpackStores & { images: ImageStore }, id: Digest): Promise<Digest[]> {
  const { snapshotter, content, images } = stores;
  const diffIds = images.config(id).rootfs.diff_ids;
  const chains = chainIds(diffIds);
  const missing: LayerToUnpack[] = [];
  chains.forEach((chainId, i) => {
    if (snapshotter.stat(chainId)) return;
    const diffId = diffIds[i] as Digest;
    const blob = images.layers.blobsOf(diffId).find((b) => content.has(b.digest as Digest));
    if (!blob) throw dataLoss(`image ${id}: layer ${diffId} is neither extracted nor stored as a blob`);
    missing.push({ chainId, parent: i === 0 ? undefined : chains[i - 1], diffId, blob: { digest: blob.digest as Digest, mediaType: blob.mediaType } });
  });
  if (missing.length > 0) await unpackLayers(stores, missing, []);
  return chains;
}
