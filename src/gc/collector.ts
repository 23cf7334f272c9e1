/**
 * The one garbage collector behind `rmi`, `image prune` and `system prune` (invariant 3:
 * nothing is deleted while an image, container, build-cache entry or lease references it).
 *
 * It runs inside one write transaction: it reads every record, computes what is alive,
 * deletes the dead rows and files, then commits. Writers that reuse an existing blob add
 * it to their lease first (which needs the same write lock), so a blob is either seen as
 * leased here or already gone when the writer checks for it — never deleted under it.
 * Blobs newer than the oldest live lease are kept too: a streaming write learns its digest
 * only when it commits, just before it can lease it. `plan` computes the same without
 * deleting anything (what `system check` reports and `--repair` removes).
 */
import { statSync } from 'node:fs';
import type { BlobInfo, ContentStore } from '../content/index.ts';
import { inTransaction, ImageRecords, LayerRecords, LeaseRecords, type Database, type LeaseRow } from '../metadata/index.ts';
import type { Digest } from '../oci/index.ts';
import { reachable } from './reachability.ts';
import { processAlive } from '../internal/index.ts';

/** Removes what a layer left on disk (its snapshot); given by the engine, which knows the snapshotter. */
export type LayerRemover = (chainId: string) => void;

/** Extra roots from holders the collector doesn't know (containers, build cache). */
export type RootsProvider = () => { layers?: Iterable<string>; blobs?: Iterable<string> };

export interface CollectResult {
  removedBlobs: { digest: string; size: number }[];
  removedLayers: string[];
  reclaimedBytes: number;
  /** Leases of processes that are gone (a crashed load, pull or build), released. */
  releasedLeases: LeaseRow[];
}

/** What a collection would remove now. */
export interface GarbagePlan {
  staleLeases: LeaseRow[];
  /** Top-down: children before parents. */
  layers: { chainId: string; size: number }[];
  blobs: BlobInfo[];
}

export interface CollectorOptions {
  db: Database;
  content: ContentStore;
  removeLayer?: LayerRemover;
  roots?: RootsProvider[];
}


export class GarbageCollector {
  constructor(private readonly options: CollectorOptions) {}

  /**
   * Removes the given blobs unless something references them: used to undo the writes of
   * an operation that failed, so the store is left as it was. `exceptLease` is the caller's
   * own lease, which protects nothing here: the blobs can go before the lease is released
   * (on a full disk SQLite can release nothing until they gave their space back).
   */
  discardBlobs(digests: readonly string[], options: { exceptLease?: string } = {}): void {
    if (digests.length === 0) return;
    const { db, content } = this.options;
    const images = new ImageRecords(db);
    const layers = new LayerRecords(db);
    const leases = new LeaseRecords(db);
    inTransaction(db, () => {
      const chainsByImage = new Map<string, string[]>();
      for (const { imageId, chainId } of images.allImageLayers()) {
        const list = chainsByImage.get(imageId) ?? [];
        list.push(chainId);
        chainsByImage.set(imageId, list);
      }
      const live = reachable({
        images: images.all().map((r) => ({ id: r.id, manifestDigest: r.manifestDigest, chainIds: chainsByImage.get(r.id) ?? [] })),
        layers: layers.all(),
        layerBlobs: layers.allBlobs(),
        leasedBlobs: leases.refs('blob').filter((r) => r.leaseId !== options.exceptLease).map((r) => r.ref),
        leasedLayers: leases.refs('layer').filter((r) => r.leaseId !== options.exceptLease).map((r) => r.ref),
      });
      for (const digest of digests) {
        if (!live.blobs.has(digest)) content.delete(digest as Digest);
      }
    });
  }

  collect(): CollectResult {
    const { db, content } = this.options;
    const layers = new LayerRecords(db);
    const leases = new LeaseRecords(db);
    return inTransaction(db, () => {
      const plan = this.plan();
      for (const lease of plan.staleLeases) leases.release(lease.id);
      const result: CollectResult = { removedBlobs: [], removedLayers: [], reclaimedBytes: 0, releasedLeases: plan.staleLeases };
      for (const layer of plan.layers) {
        this.options.removeLayer?.(layer.chainId);
        layers.delete(layer.chainId);
        result.removedLayers.push(layer.chainId);
        result.reclaimedBytes += layer.size;
      }
      for (const blob of plan.blobs) {
        content.delete(blob.digest);
        layers.deleteBlob(blob.digest);
        result.removedBlobs.push(blob);
      }
      return result;
    });
  }

  /**
   * What `collect` would remove now, changing nothing: leases whose process is gone, then
   * what nothing alive (live leases included) references.
   */
  plan(): GarbagePlan {
    const { db, content } = this.options;
    const images = new ImageRecords(db);
    const layers = new LayerRecords(db);
    const leases = new LeaseRecords(db);
    const allLeases = leases.all();
    const staleLeases = allLeases.filter((l) => !processAlive(l.pid));
    const liveLeases = allLeases.filter((l) => !staleLeases.includes(l));
    const live = new Set(liveLeases.map((l) => l.id));
    const oldestLease = liveLeases.reduce((min, l) => Math.min(min, l.createdAt), Infinity);
    const extraLayers: string[] = [];
    const extraBlobs: string[] = [];
    for (const provider of this.options.roots ?? []) {
      const roots = provider();
      for (const l of roots.layers ?? []) extraLayers.push(l);
      for (const b of roots.blobs ?? []) extraBlobs.push(b);
    }
    const chainsByImage = new Map<string, string[]>();
    for (const { imageId, chainId } of images.allImageLayers()) {
      const list = chainsByImage.get(imageId) ?? [];
      list.push(chainId);
      chainsByImage.set(imageId, list);
    }
    const allLayers = layers.all();
    const reached = reachable({
      images: images.all().map((r) => ({ id: r.id, manifestDigest: r.manifestDigest, chainIds: chainsByImage.get(r.id) ?? [] })),
      layers: allLayers,
      layerBlobs: layers.allBlobs(),
      // A stale lease is released first: what only it protected is dead.
      leasedBlobs: leases.refs('blob').filter((r) => live.has(r.leaseId)).map((r) => r.ref),
      leasedLayers: leases.refs('layer').filter((r) => live.has(r.leaseId)).map((r) => r.ref),
      extraLayerRoots: extraLayers,
      extraBlobRoots: extraBlobs,
    });
    // Layers top-down (children before parents), so a stack is never left without its base.
    const deadLayers = allLayers.filter((l) => !reached.layers.has(l.chainId) && l.createdAt < oldestLease);
    const parentOf = new Map(allLayers.map((l) => [l.chainId, l.parent]));
    const depths = new Map<string, number>();
    const depth = (chainId: string): number => {
      const known = depths.get(chainId);
      if (known !== undefined) return known;
      const parent = parentOf.get(chainId);
      const d = parent ? depth(parent) + 1 : 0;
      depths.set(chainId, d);
      return d;
    };
    deadLayers.sort((a, b) => depth(b.chainId) - depth(a.chainId));
    const blobs: BlobInfo[] = [];
    for (const blob of content.list()) {
      if (reached.blobs.has(blob.digest)) continue;
      if (Number.isFinite(oldestLease)) {
        try {
          if (statSync(content.path(blob.digest)).ctimeMs >= oldestLease - 1000) continue;
        } catch {
          continue;
        }
      }
      blobs.push(blob);
    }
    return { staleLeases, layers: deadLayers.map((l) => ({ chainId: l.chainId, size: l.size })), blobs };
  }
}
