/**
 * Layers in and out of snapshots: extract a layer blob into a new snapshot, and turn the
 * changes of an active snapshot into a layer (diff_id, docker's size, tar size) — in one
 * call each, for load/pull/import and for the builder and containers.
 */
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { applyLayer, type LayerSource, type LayerStats } from '../diff/index.ts';
import { failedPrecondition, notFound } from '../errdefs/index.ts';
import type { Digest } from '../oci/index.ts';
import { chainIdOf, temporaryKey } from './keys.ts';
import { namingSnapshotsHome } from './out-of-space.ts';
import type { Snapshotter } from './snapshotter.ts';


/**
 * Extracts a layer (plain, gzip or zstd) as committed snapshot `chainId` on `parent`.
 * An existing snapshot of that name is reused without reading the source.
 * With `verified`, the command hashed these bytes already as they came in (load and import
 * measured the layer and wrote its blob moments ago): they are not hashed again, and
 * `expectedDiffId` is taken as their diff_id.
 * @returns the layer's measurements, or undefined when the snapshot existed already
 * @throws invalid-argument when the layer's content is not `expectedDiffId` (nothing kept)
 */
export async function extractLayer(
  snapshotter: Snapshotter,
  options: { chainId: Digest; parent?: string; expectedDiffId?: Digest; source: LayerSource; verified?: boolean },
): Promise<LayerStats | undefined> {
  if (snapshotter.stat(options.chainId)) return undefined;
  const key = temporaryKey('extract');
  snapshotter.prepare(key, options.parent);
  let target: string | undefined;
  try {
    const row = snapshotter.stat(key);
    if (!row) throw notFound(`snapshot ${key} vanished`);
    target = snapshotter.fsDir(row);
    const verified = options.verified === true && options.expectedDiffId !== undefined;
    const stats = await applyLayer({
      source: options.source,
      target,
      whiteouts: snapshotter.whiteoutMode,
      computeDiffId: !verified,
    });
    if (verified) stats.diffId = options.expectedDiffId!;
    else if (options.expectedDiffId !== undefined && stats.diffId !== options.expectedDiffId) {
      throw failedPrecondition(`layer content hashes to ${stats.diffId}, not the expected ${options.expectedDiffId}`);
    }
    snapshotter.commit(options.chainId, key);
    return stats;
  } catch (err) {
    discardFailedExtraction(snapshotter, key, target);
    throw namingSnapshotsHome(snapshotter, err);
  }
}

/**
 * Removes the temporary snapshot of a failed extraction without hiding why it failed. Its
 * files go first: when the disk filled up, SQLite can delete the record only once they gave
 * their space back (the snapshot is this process's own, so nobody sees it emptied). What
 * cannot be removed now is swept later (its owner, this process, will be gone).
 */
function discardFailedExtraction(snapshotter: Snapshotter, key: string, target: string | undefined): void {
  try {
    if (target !== undefined) rmSync(target, { recursive: true, force: true });
    snapshotter.remove(key);
  } catch {
    // Left for the sweep.
  }
}

/** A Writable that throws bytes away: diffs that only need their digest write here. */
export function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

/**
 * The uncompressed tar of committed snapshot `chainId`'s own changes, regenerated from its
 * files (layers built here keep no blob until they travel).
 */
export async function layerTarOf(snapshotter: Snapshotter, chainId: string, output: Writable): Promise<LayerStats> {
  const row = snapshotter.stat(chainId);
  if (!row || row.kind !== 'committed') throw notFound(`layer ${chainId} has no extracted snapshot`);
  return snapshotter.diff(chainId, output);
}

/**
 * Commits an active snapshot's changes as a new layer, in place (the build's RUN and COPY
 * steps): its files become the layer, nothing is copied. `hold` learns the chain ID before
 * the commit, so the caller can lease it: a committed snapshot no layer record names yet
 * would otherwise be fair game for a concurrent garbage collection.
 * @returns the layer's chain ID and measurements
 */
export async function commitActive(snapshotter: Snapshotter, key: string, hold?: (chainId: Digest) => void): Promise<LayerStats & { chainId: Digest }> {
  const row = snapshotter.stat(key);
  if (!row) throw notFound(`snapshot ${key} does not exist`);
  const stats = await snapshotter.diff(key, discard());
  const chainId = chainIdOf(row.parent ?? undefined, stats.diffId as Digest);
  hold?.(chainId);
  snapshotter.commit(chainId, key);
  return { ...stats, chainId };
}
