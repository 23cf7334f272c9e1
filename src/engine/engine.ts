/**
 * The composition root: opens the store under one root directory and wires the services.
 * The only module that knows them all; front ends (cli/, ui/, api/) talk to it.
 *
 *   <root>/content/      OCI image layout (blobs, index.json)
 *   <root>/metadata.db   SQLite, WAL
 *   <root>/tmp/          scratch space on the same filesystem (atomic renames)
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fromSystemError, invalidArgument } from '../errdefs/index.ts';
import { ContentStore } from '../content/index.ts';
import { BuildCacheRecords, ContainerRecords, openDatabase, type Database } from '../metadata/index.ts';
import { GarbageCollector, type CollectResult } from '../gc/index.ts';
import { ImageStore } from '../images/index.ts';
import { isStorageDriver, openSnapshotter } from '../snapshots/drivers.ts';
import type { Snapshotter, StorageDriver } from '../snapshots/snapshotter.ts';
import type { Digest } from '../oci/index.ts';
import { deadTemporary, discardSnapshots, layerPresent, sweepSnapshots, type SnapshotSweep } from './snapshot-sweep.ts';
import { snapshotLayerSink } from './pull-sink.ts';
import type { LayerSinkFactory } from '../registry/index.ts';
import type { LayerUnpacker, SnapshotDiscarder } from '../archive/index.ts';

export const DEFAULT_ROOT = '/var/lib/strata';

export interface EngineOptions {
  root: string;
  /** `overlay` (default) or `native`; also STRATA_STORAGE_DRIVER. */
  storageDriver?: string;
}

export class Engine {
  readonly root: string;
  readonly content: ContentStore;
  readonly db: Database;
  readonly images: ImageStore;
  readonly gc: GarbageCollector;
  readonly snapshotter: Snapshotter;

  private constructor(root: string, content: ContentStore, db: Database, driver: StorageDriver) {
    this.root = root;
    this.content = content;
    this.db = db;
    this.images = new ImageStore(db, content);
    this.snapshotter = openSnapshotter(db, join(root, 'snapshots'), driver);
    this.gc = new GarbageCollector({
      db,
      content,
      // Top-down removal order comes from the collector; a layer's snapshot goes with it.
      removeLayer: (chainId) => {
        if (this.snapshotter.stat(chainId) && this.snapshotter.records.children(chainId).length === 0) this.snapshotter.remove(chainId);
      },
      // Build cache entries keep the layer stacks their steps produced.
      roots: [
        () => ({ layers: this.snapshotRoots() }),
        () => ({ layers: new BuildCacheRecords(db).chainIds() }),
        // Containers keep their image's layers and config, even after `rmi -f` untags it.
        () => {
          const r = new ContainerRecords(db).roots();
          return { layers: r.layerChains, blobs: r.imageIds };
        },
      ],
    });
  }

  /**
   * Committed snapshots that active snapshots and views stack on keep their layers, unless
   * they are temporary ones of a process that is gone (the sweep after a collection removes those).
   */
  private snapshotRoots(): string[] {
    return this.snapshotter.walk()
      .filter((r) => r.kind !== 'committed' && r.parent && deadTemporary(r.key) === undefined)
      .map((r) => r.parent as string);
  }

  /** Opens (creating if needed) the store at `options.root`. */
  static open(options: EngineOptions): Engine {
    const root = isAbsolute(options.root) ? options.root : resolve(options.root);
    const driver = options.storageDriver ?? process.env['STRATA_STORAGE_DRIVER'] ?? 'overlay';
    if (!isStorageDriver(driver)) {
      throw invalidArgument(`unknown storage driver "${driver}": use overlay or native`);
    }
    try {
      mkdirSync(root, { recursive: true, mode: 0o711 });
      mkdirSync(join(root, 'tmp'), { recursive: true });
    } catch (err) {
      throw fromSystemError(err, `create the store at ${root}`);
    }
    const content = new ContentStore(join(root, 'content'));
    const db = openDatabase(join(root, 'metadata.db'));
    return new Engine(root, content, db, driver);
  }

  close(): void {
    this.db.close();
  }

  /** The uncompressed tar of a layer: from its blob, or regenerated from its snapshot. */
  async layerTar(layer: { diffId: Digest; chainId?: Digest }): Promise<Readable> {
    const { layerTar } = await import('./layer-store.ts');
    return layerTar(this, layer);
  }

  /** What load, import and pull use to extract layers into snapshots as they record images. */
  unpacker(): { extract: LayerUnpacker; discard: SnapshotDiscarder } {
    return {
      extract: async (layers, created) => (await import('./layer-store.ts')).unpackLayers(this, layers, created),
      discard: (chainIds) => discardSnapshots(this.snapshotter, chainIds),
    };
  }

  /** Pulls extract each layer into a snapshot while it downloads. */
  layerSink(): LayerSinkFactory {
    return snapshotLayerSink(this);
  }

  /** A pulled layer is `Already exists` when its snapshot and record are here. */
  layerPresent(layer: { chainId: Digest; diffId: Digest }): boolean {
    return layerPresent(this, layer);
  }

  /** The one garbage collection: records, blobs and snapshots nothing references. */
  collectGarbage(): CollectResult & { snapshots: SnapshotSweep } {
    const result = this.gc.collect();
    return { ...result, snapshots: sweepSnapshots(this) };
  }
}
