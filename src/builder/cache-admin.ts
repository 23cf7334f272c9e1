/**
 * The build cache as `system df` shows it and `builder prune` clears it.
 *
 * Each cache entry is a step's result: a layer stack. An entry is *shared* when an image uses
 * its layer too (removing the entry frees nothing then); its size is its own layer's. Cache
 * mounts (`RUN --mount=type=cache`) are entries of type `exec.cachemount` sized by their
 * directory. `builder prune` removes the entries no image shares (and, with `-a`, every entry
 * and cache mount); the garbage collector then removes the layers nothing references.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { treeSize } from '../containers/tree-size.ts';
import { BuildCacheRecords, ImageRecords, inTransaction, type Database } from '../metadata/index.ts';
import { removeKeptContexts } from './context/kept-contexts.ts';

export interface BuildCacheEntryUsage {
  id: string;
  /** `regular` (a step's layer) or `exec.cachemount`. */
  type: string;
  description: string;
  size: number;
  createdAt: number;
  lastUsedAt: number;
  usageCount: number;
  inUse: boolean;
  shared: boolean;
}

/** Bytes of a cache mount's directory (docker's du), 0 when it is gone. */
function directorySize(dir: string): number {
  try {
    return treeSize(dir);
  } catch {
    return 0;
  }
}

function cacheMountsDir(root: string): string {
  return join(root, 'build', 'cache-mounts');
}

/** Every build cache entry with its size, oldest first. */
export function buildCacheUsage(store: { db: Database; root: string }): BuildCacheEntryUsage[] {
  const records = new BuildCacheRecords(store.db);
  const imageChains = new Set(new ImageRecords(store.db).allImageLayers().map((l) => l.chainId));
  const seen = new Set<string>();
  const out: BuildCacheEntryUsage[] = [];
  for (const row of records.all()) {
    const duplicate = seen.has(row.chainId);
    seen.add(row.chainId);
    out.push({
      id: row.key, type: 'regular', description: row.description, size: row.size, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt,
      usageCount: row.usageCount, inUse: false, shared: duplicate || imageChains.has(row.chainId),
    });
  }
  for (const m of records.cacheMounts()) {
    out.push({
      id: m.dir, type: 'exec.cachemount', description: `mount / from exec ${m.id}`, size: directorySize(join(cacheMountsDir(store.root), m.dir)),
      createdAt: m.createdAt, lastUsedAt: m.lastUsedAt, usageCount: m.usageCount, inUse: false, shared: false,
    });
  }
  return out;
}

export interface BuildCachePruneResult {
  /** IDs of the removed entries. */
  removed: string[];
  /** Bytes freed by removed cache mounts and kept contexts (layers are counted by the garbage collector). */
  reclaimedMounts: number;
}

/**
 * Removes build cache entries: those no image shares, or with `all` every entry, every cache
 * mount, the remembered context hashes and the Engine API's kept contexts no build holds.
 * Call the garbage collector afterwards.
 */
export function pruneBuildCache(store: { db: Database; root: string }, options: { all: boolean }): BuildCachePruneResult {
  const records = new BuildCacheRecords(store.db);
  const usage = buildCacheUsage(store);
  const removed: string[] = [];
  let reclaimedMounts = 0;
  const mounts: { id: string; dir: string; size: number }[] = [];
  inTransaction(store.db, () => {
    for (const u of usage) {
      if (u.type === 'regular' && (options.all || !u.shared)) {
        records.delete(u.id);
        removed.push(u.id);
      }
    }
    if (options.all) {
      for (const m of records.cacheMounts()) {
        const size = usage.find((u) => u.type === 'exec.cachemount' && u.id === m.dir)?.size ?? 0;
        mounts.push({ id: m.id, dir: m.dir, size });
        records.deleteCacheMount(m.id);
      }
      records.clearFileHashes();
    }
    records.pruneFileSets();
  });
  for (const m of mounts) {
    rmSync(join(cacheMountsDir(store.root), m.dir), { recursive: true, force: true });
    removed.push(m.dir);
    reclaimedMounts += m.size;
  }
  if (options.all) reclaimedMounts += removeKeptContexts(store.root, directorySize);
  return { removed, reclaimedMounts };
}
