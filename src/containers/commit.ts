/**
 * `commit`: a container's writable layer becomes a new image layer on top of its image.
 *
 * One pass: the layer tar of the writable layer (diff/'s deterministic diff, so the same
 * changes always give the same diff_id) streams straight into a new snapshot on the
 * image's top layer, which measures it as it applies. The new snapshot and the image
 * record are committed in one transaction, so a crash leaves either the image or nothing
 * (a temporary snapshot the next sweep removes). No blob is stored: like a built layer,
 * the tar is made again from the snapshot when the image travels.
 */
import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { applyLayer, type LayerStats } from '../diff/index.ts';
import { internal, notFound } from '../errdefs/index.ts';
import { LeaseRecords, type Database } from '../metadata/index.ts';
import { checkImageDepth, type ImageStore, type NewLayer } from '../images/index.ts';
import {
  nowRfc3339Nano, serializeImageConfig, sha256Of, type ContainerDefaults, type Digest, type ImageConfig, type Reference,
} from '../oci/index.ts';
import { chainIdOf, namingSnapshotsHome, temporaryKey, type Snapshotter } from '../snapshots/index.ts';
import type { Container } from './container.ts';
import type { ContainerFiles } from './rootfs.ts';
import type { ContainerStatusReader } from './status-reader.ts';
import { traceMark } from './trace.ts';
import type { WorkLocks } from './work-lock.ts';

/** What a commit works with. */
export interface CommitDeps {
  db: Database;
  images: ImageStore;
  snapshotter: Snapshotter;
  states: Pick<ContainerStatusReader, 'status'>;
  /** Freezes a running container while its layer is read. */
  files: Pick<ContainerFiles, 'whilePaused'>;
  /** Keeps an rm or prune from removing the container while its layer is read. */
  locks: Pick<WorkLocks, 'take' | 'release'>;
}

export interface CommitOptions {
  /** The name to give the image (`REPOSITORY[:TAG]`). */
  tag?: Reference;
  /** `-m`. */
  message?: string;
  /** `-a`. */
  author?: string;
  /** `-c`, already parsed (builder's configChanges). */
  applyChanges?: (defaults: ContainerDefaults) => ContainerDefaults;
  /** `-p` (default true): freeze a running container while its layer is read. */
  pause?: boolean;
  /** Stops the commit (Ctrl-C): the layer being written is dropped, the container thawed. */
  signal?: AbortSignal;
}

const IMAGE_FIELDS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Healthcheck', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'OnBuild', 'Shell'] as const;

/** The container's Config as an image's defaults (the fields an image config holds). */
function imageDefaults(c: Container): ContainerDefaults {
  const config = c.stored.config as unknown as Record<string, unknown>;
  const out: ContainerDefaults = {};
  for (const key of IMAGE_FIELDS) {
    const v = config[key];
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v) && v.length === 0 && key !== 'Cmd') continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    (out as Record<string, unknown>)[key] = v;
  }
  return out;
}

/**
 * Commits container `c` as a new image and returns its ID.
 * @throws invalid-argument for a bad `-c` change or an image too deep to run; not-found when the container's layer is gone.
 */
export async function commitContainer(deps: CommitDeps, c: Container, options: CommitOptions = {}): Promise<Digest> {
  // Under the work lock: an rm (or a prune) waits for the commit, or the commit finds the
  // container gone or going (docker's `No such container`, `removal … in progress`).
  await deps.locks.take(c, 'commit');
  try {
    return await commitLocked(deps, c, options);
  } finally {
    deps.locks.release(c);
  }
}

async function commitLocked(deps: CommitDeps, c: Container, options: CommitOptions): Promise<Digest> {
  const { db, images, snapshotter } = deps;
  const upperRow = snapshotter.stat(c.id);
  if (!upperRow) throw notFound(`container ${c.id} has no writable layer`);
  traceMark('commit: writable layer found');
  // The image's config blob stays in the content store while a container uses it.
  const parentConfig = images.config(c.imageId);
  checkImageDepth(parentConfig.rootfs.diff_ids.length + 1, `the image committed from container ${c.id.slice(0, 12)} would have`);
  const defaults = options.applyChanges ? options.applyChanges(imageDefaults(c)) : imageDefaults(c);
  const parentChain = c.layerChain === '' ? undefined : c.layerChain;
  const status = await deps.states.status(c);

  const key = temporaryKey('commit');
  const leases = new LeaseRecords(db);
  let leaseId: string | undefined;
  let target: string | undefined;
  let newConfig: Digest | undefined;
  try {
    snapshotter.prepare(key, parentChain);
    leaseId = leases.create();
    const row = snapshotter.stat(key);
    if (!row) throw internal(`snapshot ${key} vanished`);
    target = snapshotter.fsDir(row);
    const layerDir = target;
    const stats = await deps.files.whilePaused(c, options.pause === false ? { ...status, Running: false } : status, async (): Promise<LayerStats> => {
      const pipe = new PassThrough({ highWaterMark: 1024 * 1024 });
      // The diff hashes what it writes: the apply need not hash the same bytes again.
      const applied = applyLayer({ source: pipe, target: layerDir, whiteouts: snapshotter.whiteoutMode, computeDiffId: false });
      applied.catch(() => { /* surfaced below */ });
      // An abort breaks the pipe: the diff and the apply both fail, and the clean-up below runs.
      const stop = (): void => {
        pipe.destroy(options.signal?.reason as Error);
      };
      options.signal?.addEventListener('abort', stop, { once: true });
      let diff: LayerStats;
      try {
        // The writable layer against the init layer below it: the init layer's files stay out.
        diff = await snapshotter.diff(c.id, pipe);
      } catch (err) {
        pipe.destroy(err as Error);
        // An apply that failed (a full disk) stopped the diff: its error says why.
        const applyError = await applied.then(() => undefined, (e: unknown) => e);
        throw applyError === undefined || applyError === err ? err : applyError;
      } finally {
        options.signal?.removeEventListener('abort', stop);
      }
      pipe.end();
      return { ...(await applied), diffId: diff.diffId };
    });
    options.signal?.throwIfAborted();

    traceMark('commit: layer written');
    const diffId = stats.diffId as Digest;
    const chainId = chainIdOf(parentChain, diffId);
    const created = nowRfc3339Nano();
    const config: ImageConfig = {
      created,
      ...(options.author ? { author: options.author } : {}),
      architecture: parentConfig.architecture,
      os: parentConfig.os,
      ...(parentConfig.variant ? { variant: parentConfig.variant } : {}),
      config: defaults,
      rootfs: { type: 'layers', diff_ids: [...parentConfig.rootfs.diff_ids, diffId] },
      history: [
        ...(parentConfig.history ?? []),
        {
          created,
          ...(options.author ? { author: options.author } : {}),
          created_by: (c.stored.config.Cmd ?? []).join(' '),
          ...(options.message ? { comment: options.message } : {}),
        },
      ],
      parent: c.imageId,
      ...(options.message ? { comment: options.message } : {}),
      container: c.id,
    };
    const configBytes = serializeImageConfig(config);
    leases.add(leaseId, 'blob', sha256Of(configBytes));
    leases.add(leaseId, 'layer', chainId);
    // Stored before the records, so that a failure to write them (a full disk) removes it too.
    if (images.content.writeBytes(configBytes).created) newConfig = sha256Of(configBytes);

    const layers: NewLayer[] = [];
    let chain: string | null = parentChain ?? null;
    while (chain) {
      const layer = images.layers.get(chain);
      if (!layer) throw notFound(`layer ${chain} of container ${c.id}'s image has no record`);
      layers.unshift({ diffId: layer.diffId as Digest, size: layer.size, tarSize: layer.tarSize });
      chain = layer.parent;
    }
    layers.push({ diffId, size: stats.size, tarSize: stats.tarSize });
    const lease = leaseId;
    // The image store's transaction, so index.json is rewritten after the commit; the lease
    // ends with the records that replace it (a write of its own could find the disk full).
    const result = images.batch(() => {
      snapshotter.commit(chainId, key);
      const created = images.create({ config: configBytes, layers, ...(options.tag ? { tags: [options.tag] } : {}) });
      leases.release(lease);
      return created;
    });
    leaseId = undefined;
    traceMark('commit: image recorded');
    return result.id;
  } catch (err) {
    discardFailedCommit({ snapshotter, key, target, images, newConfig });
    try {
      if (leaseId !== undefined) leases.release(leaseId);
    } catch { /* a dead process's lease: the next collection drops it */ }
    throw namingSnapshotsHome(snapshotter, err);
  }
}

/**
 * Removes what a failed commit wrote, without hiding why it failed: its config blob when no
 * image record names it, the new layer's files (on a full disk SQLite can delete the
 * temporary snapshot's record only once they gave their space back), then that record; and
 * index.json goes back in line with the records. What cannot be removed now is swept once
 * this process is gone.
 */
function discardFailedCommit(written: { snapshotter: Snapshotter; key: string; target: string | undefined; images: ImageStore; newConfig: Digest | undefined }): void {
  const { snapshotter, key, target, images, newConfig } = written;
  try {
    // Its digest covers the container's ID and the time: no other command can be storing the same config.
    if (newConfig !== undefined && !images.records.get(newConfig)) images.content.delete(newConfig);
  } catch {
    // A blob nothing references: the next collection removes it.
  }
  try {
    if (snapshotter.stat(key)?.kind === 'active') {
      if (target !== undefined) rmSync(target, { recursive: true, force: true });
      snapshotter.remove(key);
    }
  } catch {
    // Left for the sweep.
  }
  images.restoreIndex();
}
