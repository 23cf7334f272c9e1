/**
 * What is alive, computed from the records alone (no I/O): every image keeps its config,
 * its manifest, its layer stack and the blobs known to hold those layers; leases keep what
 * in-flight operations wrote. Whatever is stored and not alive may be swept.
 */

export interface ReachabilityInput {
  images: { id: string; manifestDigest: string | null; chainIds: readonly string[] }[];
  layers: { chainId: string; diffId: string; parent: string | null }[];
  layerBlobs: { diffId: string; digest: string }[];
  leasedBlobs: Iterable<string>;
  leasedLayers: Iterable<string>;
  /** Layer stacks that containers, build cache entries and other holders keep (chain IDs). */
  extraLayerRoots?: Iterable<string>;
  /** Blobs other holders keep (e.g. index manifests of pulled multi-platform images). */
  extraBlobRoots?: Iterable<string>;
}

export interface Reachable {
  blobs: Set<string>;
  layers: Set<string>;
}

export function reachable(input: ReachabilityInput): Reachable {
  const layersByChain = new Map(input.layers.map((l) => [l.chainId, l]));
  const blobsByDiff = new Map<string, string[]>();
  for (const b of input.layerBlobs) {
    const list = blobsByDiff.get(b.diffId) ?? [];
    list.push(b.digest);
    blobsByDiff.set(b.diffId, list);
  }
  const blobs = new Set<string>(input.leasedBlobs);
  for (const b of input.extraBlobRoots ?? []) blobs.add(b);
  const layers = new Set<string>();
  const keepLayer = (chainId: string): void => {
    // A stack needs every layer under it.
    let current: string | null | undefined = chainId;
    while (current && !layers.has(current)) {
      layers.add(current);
      current = layersByChain.get(current)?.parent;
    }
  };
  for (const image of input.images) {
    blobs.add(image.id);
    if (image.manifestDigest) blobs.add(image.manifestDigest);
    for (const chainId of image.chainIds) keepLayer(chainId);
  }
  for (const chainId of input.leasedLayers) keepLayer(chainId);
  for (const chainId of input.extraLayerRoots ?? []) keepLayer(chainId);
  for (const chainId of layers) {
    const layer = layersByChain.get(chainId);
    if (layer) for (const digest of blobsByDiff.get(layer.diffId) ?? []) blobs.add(digest);
  }
  return { blobs, layers };
}
