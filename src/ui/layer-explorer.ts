/**
 * The explorer's layers: each layer's tar listed once (layers never change), its lower
 * layers' listings applied to know what it adds, changes or deletes. Listings and indexes
 * of the few layers opened last are kept; the rest are read again when asked.
 */
import type { Engine } from '../engine/index.ts';
import { notFound } from '../errdefs/index.ts';
import type { Insight } from '../insight/index.ts';
import type { Digest } from '../oci/index.ts';
import { listSnapshotLayer } from './snapshot-listing.ts';
import { applyLayer, indexLayer, readLayerEntries, type LayerEntry, type LayerIndex, type VisibleTree } from './layer-tree.ts';

const KEPT = 8;

/** A small most-recently-used map. */
class Recent<V> {
  private readonly map = new Map<string, Promise<V>>();
  constructor(private readonly limit: number) {}

  get(key: string, make: () => Promise<V>): Promise<V> {
    let value = this.map.get(key);
    if (value) this.map.delete(key);
    else value = make();
    this.map.set(key, value);
    // A failed read is not kept: the next ask tries again.
    value.catch(() => this.map.delete(key));
    while (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as string);
    return value;
  }
}

export class LayerExplorer {
  private readonly listings = new Recent<LayerEntry[]>(KEPT * 4);
  private readonly indexes = new Recent<LayerIndex>(KEPT);
  private readonly hidden = new Recent<Set<string>>(KEPT);

  constructor(
    private readonly engine: Engine,
    private readonly insight: () => Promise<Insight>,
  ) {}

  /** The index of layer `chainId`. @throws not-found when no layer has that chain ID */
  index(chainId: string): Promise<LayerIndex> {
    return this.indexes.get(chainId, async () => {
      const chain = this.chain(chainId);
      const below: VisibleTree = new Map();
      for (const lower of chain.slice(1).reverse()) applyLayer(below, await this.entries(lower));
      return indexLayer(await this.entries(chain[0] as { chainId: string; diffId: string }), below);
    });
  }

  /**
   * The paths of layer `chainId` that image `imageId`'s later layers overwrite or remove:
   * the analyzer's own marks (insight's layerView), so the explorer and `image analyze`
   * count the same files as wasted.
   * @throws not-found when the image has no such layer
   */
  hiddenPaths(imageId: string, chainId: string): Promise<Set<string>> {
    return this.hidden.get(`${imageId} ${chainId}`, async () => {
      const at = this.engine.images.records.chainIds(imageId).indexOf(chainId);
      if (at < 0) throw notFound(`layer ${chainId} is not a layer of image ${imageId}`);
      const files = await (await this.insight()).layerView(imageId, at);
      return new Set(files.filter((f) => f.hidden).map((f) => f.path));
    });
  }

  /** The layer and those below it, top first. */
  private chain(chainId: string): { chainId: string; diffId: string }[] {
    const out: { chainId: string; diffId: string }[] = [];
    for (let current: string | null = chainId; current !== null; ) {
      const row = this.engine.images.layers.get(current);
      if (!row) throw notFound(`layer ${current} not found`);
      out.push(row);
      current = row.parent;
      if (out.length > 10_000) throw notFound(`layer ${chainId}: its parent chain loops`);
    }
    return out;
  }

  /** From the layer's own snapshot where it holds just that layer (overlay), else from its tar. */
  private entries(layer: { chainId: string; diffId: string }): Promise<LayerEntry[]> {
    return this.listings.get(layer.chainId, async () => {
      const { snapshotter } = this.engine;
      const snapshot = snapshotter.stacksLayers ? snapshotter.stat(layer.chainId) : undefined;
      if (snapshot?.kind === 'committed') return listSnapshotLayer(snapshotter.fsDir(snapshot));
      return readLayerEntries(await this.engine.layerTar({ diffId: layer.diffId as Digest, chainId: layer.chainId as Digest }));
    });
  }
}
