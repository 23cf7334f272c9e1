/**
 * The composition root: opens the store under one root directory, builds the services once
 * and hands them out. The only module that knows them all; front ends (cli/, ui/, api/) get
 * every service from it and never build one themselves. Services that only some commands
 * need (containers, image removal, extraction) are loaded and made on first use, so that
 * `strata images` loads none of their code.
 *
 *   <root>/content/      OCI image layout (blobs, index.json)
 *   <root>/metadata.db   SQLite, WAL
 *   <root>/tmp/          scratch space on the same filesystem (atomic renames)
 *   <root>/events/       the events journal every command appends to (event-journal.ts)
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fromSystemError, invalidArgument } from '../errdefs/index.ts';
import { ContentStore } from '../content/index.ts';
import { BuildCacheRecords, ContainerRecords, LeaseRecords, openDatabase, type Database } from '../metadata/index.ts';
import { GarbageCollector, type CollectResult } from '../gc/index.ts';
import { ImageStore } from '../images/index.ts';
import { isStorageDriver, openSnapshotter } from '../snapshots/drivers.ts';
import type { Snapshotter, StorageDriver } from '../snapshots/snapshotter.ts';
import type { ContainerUse, ImageRemover } from '../images/image-removal.ts';
import type { Digest, Reference } from '../oci/index.ts';
import { EventJournal } from './event-journal.ts';
import { deadTemporary, removeUnneededSnapshots, sweepSnapshots, type SnapshotSweep } from './snapshot-sweep.ts';
import { snapshotLayerSink } from '../unpack/pull-sink.ts';
import { discardSnapshots, layerPresent } from '../unpack/unpacked.ts';
import { layerCacheDir, LayerScanCache } from '../insight/layer-cache.ts';
import type { ContainerManager } from '../containers/container-manager.ts';
import type { LayerSinkFactory } from '../registry/index.ts';
import type { ArchiveLoader, LayerUnpacker, SnapshotDiscarder } from '../archive/index.ts';
import type { BuildHost } from '../builder/build-types.ts';
import type { Insight } from '../insight/index.ts';

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
  /** What changed in the store, for `docker events` through the service. */
  readonly events: EventJournal;
  private containerManager: Promise<ContainerManager> | undefined;

  private constructor(root: string, content: ContentStore, db: Database, driver: StorageDriver) {
    this.root = root;
    this.content = content;
    this.db = db;
    this.images = new ImageStore(db, content);
    this.events = new EventJournal(join(root, 'events'));
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
    try {
      // Made with the store, so that following the events journal changes nothing in it.
      mkdirSync(join(root, 'events'), { recursive: true, mode: 0o700 });
    } catch {
      // A full disk or a read-only store: commands still run; the journal is made when it can be.
    }
    const content = new ContentStore(join(root, 'content'));
    const db = openDatabase(join(root, 'metadata.db'));
    return new Engine(root, content, db, driver);
  }

  close(): void {
    this.db.close();
  }

  /** The container manager, made on first use (its code loads then: `images` never needs it). */
  containers(): Promise<ContainerManager> {
    this.containerManager ??= import('../containers/container-manager.ts').then(({ ContainerManager }) => new ContainerManager({
      root: this.root,
      db: this.db,
      images: this.images,
      snapshotter: this.snapshotter,
      // Extracted when a container is created: `ps`, `logs` and the like never extract layers.
      ensureLayers: (imageId: Digest) => this.ensureExtracted(imageId),
      events: this.events,
    }));
    return this.containerManager;
  }

  /** `rmi` and `image prune`: docker's rules, told by the containers which images they use. */
  async imageRemover(): Promise<ImageRemover> {
    const [{ ImageRemover }, containers] = await Promise.all([import('../images/image-removal.ts'), this.containers()]);
    return new ImageRemover(this.images, {
      users: (imageId) => imageUsers(containers, imageId),
      collectGarbage: () => this.collectGarbage(),
    });
  }

  /** `load`: docker-archive and OCI-layout tarballs into the store, layers extracted as they are recorded. */
  async archiveLoader(): Promise<ArchiveLoader> {
    const { ArchiveLoader } = await import('../archive/index.ts');
    return new ArchiveLoader(this.images, this.content, this.gc, this.unpacker());
  }

  /** What a build needs of the store; `pull` fetches a base image that is missing. */
  buildHost(pull: (ref: Reference) => Promise<Digest>): BuildHost {
    return {
      root: this.root, db: this.db, content: this.content, images: this.images, snapshotter: this.snapshotter,
      ensureExtracted: (imageId) => this.ensureExtracted(imageId),
      pull,
    };
  }

  /** Chain IDs of an image's layers, bottom first, extracting into snapshots those that aren't yet. */
  async ensureExtracted(imageId: Digest): Promise<Digest[]> {
    const { ensureExtracted } = await import('../unpack/extract.ts');
    return ensureExtracted({ snapshotter: this.snapshotter, content: this.content, images: this.images }, imageId);
  }

  /** The uncompressed tar of a layer: from its blob, or regenerated from its snapshot. */
  async layerTar(layer: { diffId: Digest; chainId?: Digest }): Promise<Readable> {
    const { layerTar } = await import('../unpack/layer-tar.ts');
    return layerTar({ content: this.content, layers: this.images.layers, snapshotter: this.snapshotter }, layer);
  }

  /** `image analyze` and `image diff`: layer scans kept under `insight/` by diff_id. */
  async insight(): Promise<Insight> {
    const { Insight, layerCacheDir } = await import('../insight/index.ts');
    return new Insight({ images: this.images, cacheDir: layerCacheDir(this.root), layerTar: (layer) => this.layerTar(layer) });
  }

  /** What load, import and pull use to extract layers into snapshots as they record images. */
  unpacker(): { extract: LayerUnpacker; discard: SnapshotDiscarder } {
    return {
      extract: async (layers, created) => (await import('../unpack/extract.ts')).unpackLayers({ snapshotter: this.snapshotter, content: this.content }, layers, created),
      discard: (chainIds) => discardSnapshots(this.snapshotter, chainIds),
    };
  }

  /** Pulls extract each layer into a snapshot while it downloads. */
  layerSink(): LayerSinkFactory {
    return snapshotLayerSink(this.snapshotter);
  }

  /** A pulled layer is `Already exists` when its snapshot and record are here. */
  layerPresent(layer: { chainId: Digest; diffId: Digest }): boolean {
    return layerPresent({ snapshotter: this.snapshotter, layers: this.images.layers }, layer);
  }

  /**
   * After a pull that ran out of space: its blobs and snapshots nothing else references go,
   * then its lease, and index.json is put back in line with the records. Blobs first: on a
   * full disk SQLite can release the lease only once they gave their space back. What cannot
   * go now is left for `system check --repair`.
   */
  discardUnrecorded(written: { leaseId: string; blobs: Digest[]; layers: Digest[] }): void {
    const leases = new LeaseRecords(this.db);
    bestEffort(() => this.gc.discardBlobs(written.blobs, { exceptLease: written.leaseId }));
    bestEffort(() => leases.release(written.leaseId));
    bestEffort(() => removeUnneededSnapshots(this.snapshotter, this.images.layers, leases, written.layers));
    // A transaction that could not commit may have left index.json ahead of the records.
    this.images.restoreIndex();
  }

  /** The one garbage collection: records, blobs and snapshots nothing references. */
  collectGarbage(): CollectResult & { snapshots: SnapshotSweep } {
    const result = this.gc.collect();
    const snapshots = sweepSnapshots(this.snapshotter, this.images.layers, new LeaseRecords(this.db));
    // Scans of layers that went with this collection are of no more use.
    bestEffort(() => new LayerScanCache(layerCacheDir(this.root)).prune(new Set(this.images.layers.all().map((l) => l.diffId))));
    return { ...result, snapshots };
  }
}

/** Runs a clean-up step of a command that failed already: its error is the one to report. */
function bestEffort(step: () => unknown): void {
  try {
    step();
  } catch {
    // Left for `system check --repair` and the next garbage collection.
  }
}

/** The containers created from an image, and whether each runs (for `rmi`'s conflicts). */
function imageUsers(manager: ContainerManager, imageId: Digest): ContainerUse[] {
  return manager.idsUsingImage(imageId).map((id) => {
    const c = manager.lookup(id);
    return { id, running: c !== undefined && manager.statusSync(c).Running };
  });
}
