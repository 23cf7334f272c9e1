/**
 * The insight service: `image analyze` and `image diff` over the store's images (and
 * archives read in place), each layer read in one streaming pass at most once per store:
 * its scan is kept by diff_id (layer-cache.ts), so an image that shares its base with one
 * analysed before reads only its own layers, and a second run reads none.
 */
import type { Readable } from 'node:stream';
import { invalidArgument } from '../errdefs/index.ts';
import { chainIds, type Digest } from '../oci/index.ts';
import type { ImageStore } from '../images/index.ts';
import { analyzeLayers } from './analysis.ts';
import type { ImageAnalysis, StoreDuplicates } from './analysis-types.ts';
import { baseFromHistory, parentInStore } from './base-image.ts';
import { diffInputs, type ImageDiff } from './image-diff.ts';
import { archiveInput, storeInput, type ImageInput, type InputLayer } from './image-input.ts';
import { LayerScanCache } from './layer-cache.ts';
import { layerView, type LayerFile } from './layer-view.ts';
import { scanLayerTable, type LayerEntry } from './layer-scan.ts';
import { KIND_CODE, type ScanTable } from './scan-table.ts';

export interface InsightServices {
  images: ImageStore;
  /** A store layer's uncompressed tar (from its blob, or generated from its snapshot). */
  layerTar(layer: { diffId: Digest; chainId: Digest }): Promise<Readable>;
  /** Where layer scans are kept (`layerCacheDir(root)`). */
  cacheDir: string;
}

export interface AnalyzeOptions {
  /** Also count duplicate bodies across every layer of the store. */
  all?: boolean;
}

export class Insight {
  private readonly cache: LayerScanCache;
  /** Layers read (not taken from the cache) by this instance: what the tests count. */
  layersRead = 0;

  constructor(private readonly services: InsightServices) {
    this.cache = new LayerScanCache(services.cacheDir);
  }

  /** A store reference or ID, `docker-archive:PATH` or `oci:PATH`. @throws not-found, invalid-argument, data-loss naming the input */
  input(ref: string): ImageInput {
    return archiveInput(ref) ?? storeInput(this.services.images, ref, (l) => this.services.layerTar(l));
  }

  /** The scan of one layer: from the cache, else read (and cached when it is the store's). */
  async scan(layer: InputLayer, what: string, inStore: boolean): Promise<ScanTable> {
    if (inStore) {
      const cached = this.cache.getTable(layer.diffId);
      if (cached !== undefined) return cached;
    }
    this.layersRead++;
    const scan = await scanLayerTable(await layer.open(), { diffId: layer.diffId, what, verifyDiffId: !inStore });
    if (inStore) this.cache.putTable(scan);
    return scan;
  }

  private async scans(input: ImageInput): Promise<ScanTable[]> {
    const out: ScanTable[] = [];
    for (const [i, layer] of input.layers.entries()) out.push(await this.scan(layer, `layer ${i} (${layer.diffId}) of ${input.ref}`, input.inStore));
    return out;
  }

  /** The entries of one of the store's layers, in tar order (for a layer explorer). */
  async layerEntries(diffId: Digest): Promise<LayerEntry[]> {
    const row = this.services.images.layers.anyWithDiffId(diffId);
    const chainId = (row?.chainId ?? diffId) as Digest;
    const layer: InputLayer = { diffId, chainId, open: () => this.services.layerTar({ diffId, chainId }) };
    return (await this.scan(layer, `layer ${diffId}`, true)).toScan().entries;
  }

  /** Layer `index` (0 at the bottom) of an image, entry by entry with A/C/D and hidden marks. */
  async layerView(ref: string, index: number): Promise<LayerFile[]> {
    const input = this.input(ref);
    if (!Number.isInteger(index) || index < 0 || index >= input.layers.length) {
      throw invalidArgument(`${ref} has ${input.layers.length} layers: no layer ${index}`);
    }
    return layerView(await this.scans(input), index);
  }

  /** `image analyze`: wasted bytes, efficiency, duplicates and hints of one image. */
  async analyzeImage(ref: string, options: AnalyzeOptions = {}): Promise<ImageAnalysis> {
    const input = this.input(ref);
    const scans = await this.scans(input);
    const history = input.config.history ?? [];
    const base = parentInStore(this.services.images, input.id, chainIds(input.config.rootfs.diff_ids))
      ?? baseFromHistory(history, scans.length);
    const analysis = analyzeLayers({ image: { ref, id: input.id, source: input.source }, base, scans, history });
    if (options.all) analysis.store = await this.storeDuplicates();
    return analysis;
  }

  /** Bodies stored more than once across every layer of the store (each layer counted once). */
  async storeDuplicates(): Promise<StoreDuplicates> {
    const images = this.services.images;
    const layers = new Map<string, Digest>();
    for (const row of images.layers.all()) if (!layers.has(row.diffId)) layers.set(row.diffId, row.chainId as Digest);
    const bodies = new Map<string, { size: number; copies: number; layers: Set<string> }>();
    let storedBytes = 0;
    for (const [diffId, chainId] of layers) {
      const d = diffId as Digest;
      const scan = await this.scan({ diffId: d, chainId, open: () => this.services.layerTar({ diffId: d, chainId }) }, `layer ${diffId}`, true);
      for (let i = 0; i < scan.length; i++) {
        const size = scan.size(i);
        if (scan.kindCode(i) !== KIND_CODE.file || size === 0) continue;
        storedBytes += size;
        const sha = scan.hashHex(i);
        let b = bodies.get(sha);
        if (b === undefined) {
          b = { size, copies: 0, layers: new Set() };
          bodies.set(sha, b);
        }
        b.copies++;
        b.layers.add(diffId);
      }
    }
    const groups = [...bodies.entries()].filter(([, b]) => b.copies > 1)
      .map(([sha, b]) => ({ sha256: `sha256:${sha}`, size: b.size, copies: b.copies, layers: [...b.layers] }))
      .sort((a, b) => b.size * (b.copies - 1) - a.size * (a.copies - 1));
    return {
      images: images.records.all().length,
      layers: layers.size,
      storedBytes,
      duplicateBytes: groups.reduce((n, g) => n + g.size * (g.copies - 1), 0),
      groups: groups.slice(0, 20),
    };
  }

  /** `image diff A B`: shared layers, file changes, config and history differences. */
  async diffImages(a: string, b: string): Promise<ImageDiff> {
    const left = this.input(a);
    const right = this.input(b);
    return diffInputs(left, await this.scans(left), right, await this.scans(right));
  }

  /** Drops the cached scans of layers the store no longer has (after a garbage collection). */
  pruneCache(): number {
    return this.cache.prune(new Set(this.services.images.layers.all().map((l) => l.diffId)));
  }
}
