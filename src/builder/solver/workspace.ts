/**
 * Snapshots for build steps: a writable one on the step's parent, mounted for the step to
 * change and then committed in place as the step's layer; and read-only views of a stage's
 * or image's tree for COPY --from and RUN --mount=from. Keys name this process, so whatever a
 * crash leaves behind is swept by the next garbage collection.
 */
import { lstatSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { notFound } from '../../errdefs/index.ts';
import { lgetxattrs } from '../../internal/sys/index.ts';
import { mountAll, unmountAll, type Mount } from '../../mount/index.ts';
import type { Digest } from '../../oci/index.ts';
import { commitActive, namingSnapshotsHome, temporaryKey, type Snapshotter } from '../../snapshots/index.ts';
import { OverlayRoot, PlainRoot, type CopyRoot } from './file-copy.ts';
import { scratchName, sweepDeadScratch } from '../leftovers.ts';

export interface CommittedLayer {
  chainId: Digest;
  diffId: Digest;
  size: number;
  tarSize: number;
}

/** Where a build's steps make their layers. */
export interface StepSpace {
  snapshotter: Snapshotter;
  /** The build's scratch directory (mount points). */
  scratch: string;
  /** Leases a step's layer before its snapshot is committed (see commitActive). */
  hold: (chainId: Digest) => void;
}

/**
 * Prepares a writable snapshot on `parent` (or empty), mounts it, lets `change` write to it,
 * unmounts it and commits its changes as a layer. On failure the snapshot is removed.
 */
export async function changeInSnapshot(
  space: StepSpace,
  parent: Digest | undefined,
  change: (rootfs: string) => Promise<void>,
  sourceDateEpoch?: number,
  tidyUpper?: (upper: string) => void,
): Promise<CommittedLayer> {
  const { snapshotter, scratch } = space;
  const key = temporaryKey('build');
  const mounts = snapshotter.prepare(key, parent);
  const target = mkdtempSync(join(scratch, 'rootfs-'));
  const started = Date.now() - 1000;
  let mounted = false;
  try {
    mountAll(mounts, target);
    mounted = true;
    await change(target);
    unmountAll(target);
    mounted = false;
    if (tidyUpper !== undefined && snapshotter.stacksLayers) {
      const row = snapshotter.stat(key);
      if (row !== undefined) tidyUpper(snapshotter.fsDir(row));
    }
    if (sourceDateEpoch !== undefined) {
      const row = snapshotter.stat(key);
      if (row !== undefined) clampTimes(snapshotter.fsDir(row), sourceDateEpoch, started);
    }
    const layer = await commitActive(snapshotter, key, space.hold);
    return { chainId: layer.chainId, diffId: layer.diffId as Digest, size: layer.size, tarSize: layer.tarSize };
  } catch (err) {
    if (mounted) unmountAll(target);
    discardStep(snapshotter, key);
    throw namingSnapshotsHome(snapshotter, err);
  } finally {
    try {
      rmdirSync(target);
    } catch {
      // Still busy: leave the empty directory to the scratch cleanup.
    }
  }
}

/**
 * Clamps the times of what a step changed (ctime after `since`) to SOURCE_DATE_EPOCH in the
 * snapshot itself, so the layer is the same whether its tar is made now or regenerated later
 * (a built layer's tar is regenerated from its snapshot when it travels).
 */
export function clampTimes(dir: string, epochSeconds: number, since: number): void {
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.ctimeMs >= since && st.mtimeMs > epochSeconds * 1000) lutimesSync(p, epochSeconds, epochSeconds);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  const st = lstatSync(dir);
  if (st.mtimeMs > epochSeconds * 1000) lutimesSync(dir, epochSeconds, epochSeconds);
}

/**
 * Like `changeInSnapshot` for steps that only write files (COPY, WORKDIR): on the overlay
 * driver the snapshot is not mounted at all — `write` gets the upper directory plus a
 * read-only view of the layers below (several times faster than writing through an overlay
 * mount); on the native driver it gets the mounted full tree.
 */
export async function writeInSnapshot(
  space: StepSpace,
  parent: Digest | undefined,
  write: (root: CopyRoot) => Promise<void>,
  sourceDateEpoch?: number,
  independent = false,
): Promise<CommittedLayer> {
  const { snapshotter, scratch } = space;
  if (!snapshotter.stacksLayers) {
    return changeInSnapshot(space, parent, (rootfs) => write(new PlainRoot(rootfs)), sourceDateEpoch);
  }
  const key = temporaryKey('build');
  snapshotter.prepare(key, parent);
  const started = Date.now() - 1000;
  let view: TreeView | undefined;
  try {
    const row = snapshotter.stat(key);
    if (row === undefined) throw notFound(`snapshot ${key} vanished`);
    if (parent !== undefined) view = viewTree(snapshotter, scratch, parent);
    // `independent` (COPY --link): the layer is made as on an empty tree.
    await write(independent ? new OverlayRoot(snapshotter.fsDir(row), undefined, view?.path) : new OverlayRoot(snapshotter.fsDir(row), view?.path));
    view?.release();
    view = undefined;
    if (sourceDateEpoch !== undefined) clampTimes(snapshotter.fsDir(row), sourceDateEpoch, started);
    const layer = await commitActive(snapshotter, key, space.hold);
    return { chainId: layer.chainId, diffId: layer.diffId as Digest, size: layer.size, tarSize: layer.tarSize };
  } catch (err) {
    view?.release();
    discardStep(snapshotter, key);
    throw namingSnapshotsHome(snapshotter, err);
  }
}

/**
 * Removes a step's committed layer that no record came to keep, unless `needed` says another
 * command uses it (decided in the removal's transaction). Never throws: the step's own error
 * is the one to report, and what stays is swept by the next collection.
 */
export function discardLayer(space: StepSpace, chainId: Digest, needed: () => boolean): void {
  try {
    space.snapshotter.removeUnused(chainId, needed);
  } catch {
    // Left for the sweep.
  }
}

/**
 * Removes a failed step's snapshot without hiding why it failed. Its files go first: when
 * the step filled the disk, SQLite can delete the record only once they gave their space
 * back. What cannot be removed now is swept once this process is gone (its key names it).
 */
function discardStep(snapshotter: Snapshotter, key: string): void {
  try {
    const row = snapshotter.stat(key);
    if (row === undefined || row.kind === 'committed') return;
    rmSync(snapshotter.fsDir(row), { recursive: true, force: true });
    snapshotter.remove(key);
  } catch {
    // Left for the sweep.
  }
}

/**
 * Removes directories overlayfs copied up without a change (same mode, owner and mtime as
 * before the step, nothing inside, not opaque) from an upper directory: a RUN's layer then
 * carries only what the command changed, as BuildKit's differ leaves unchanged directories out.
 */
export function dropUnchangedCopyUps(upper: string, dirs: readonly { path: string; mode: number; uid: number; gid: number; mtimeMs: number }[]): void {
  for (const d of [...dirs].sort((a, b) => b.path.length - a.path.length)) {
    const host = join(upper, d.path);
    try {
      const st = lstatSync(host);
      // Times were restored through a double of seconds: equal to within a microsecond.
      if (!st.isDirectory() || st.mode !== d.mode || st.uid !== d.uid || st.gid !== d.gid || Math.abs(st.mtimeMs - d.mtimeMs) > 0.001) continue;
      if (readdirSync(host).length > 0) continue;
      if (lgetxattrs(host).size > 0) continue;
      rmdirSync(host);
    } catch {
      // Not there, or not removable: the layer keeps it.
    }
  }
}

export interface TreeView {
  /** Where the tree is (read-only). */
  path: string;
  release(): void;
}

/** A read-only view of the filesystem whose top layer is `top` (an empty directory for none). */
export function viewTree(snapshotter: Snapshotter, scratch: string, top: Digest | undefined): TreeView {
  const target = mkdtempSync(join(scratch, 'view-'));
  if (top === undefined) {
    return { path: target, release: () => rmSync(target, { recursive: true, force: true }) };
  }
  const key = temporaryKey('buildview');
  return mountedTree(snapshotter, key, snapshotter.view(key, top), target);
}

/**
 * A writable tree on `top` whose changes are thrown away (`RUN --mount=type=bind,rw`).
 */
export function scratchTree(snapshotter: Snapshotter, scratch: string, top: Digest | undefined): TreeView {
  const key = temporaryKey('buildrw');
  const mounts = snapshotter.prepare(key, top);
  return mountedTree(snapshotter, key, mounts, mkdtempSync(join(scratch, 'rw-')));
}

/** Mounts snapshot `key` on `target`; release unmounts it and removes both. */
function mountedTree(snapshotter: Snapshotter, key: string, mounts: Mount[], target: string): TreeView {
  try {
    mountAll(mounts, target);
  } catch (err) {
    snapshotter.remove(key);
    rmSync(target, { recursive: true, force: true });
    throw err;
  }
  return {
    path: target,
    release: () => {
      unmountAll(target);
      snapshotter.remove(key);
      try {
        rmdirSync(target);
      } catch {
        // left to the scratch cleanup
      }
    },
  };
}

/** A scratch directory for one build, under the store's tmp/ (dead builds' are swept first). */
export function makeScratch(root: string): string {
  sweepDeadScratch(root);
  const dir = join(root, 'tmp', scratchName());
  mkdirSync(dir, { recursive: true });
  return dir;
}
