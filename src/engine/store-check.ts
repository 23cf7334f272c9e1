/**
 * `system check`: verifies the store's invariants (`store-problems.ts`) and lists every
 * leftover of an interrupted command: what dead builds left (containers, their networks,
 * mounts, scratch directories), what killed container commands left (container-leftovers.ts), mounts under
 * `mounts/` that no image mount accounts for, leases and partial
 * writes of processes that are gone, an index.json out of line with the records, and the
 * blobs, layers and snapshot directories the garbage collector would remove. With `repair`,
 * it forgets references to manifests that are gone and removes exactly those leftovers
 * (through the garbage collector for records and blobs, which waits while records are
 * missing; index.json is rewritten), then lists what is still there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../oci/index.ts';
import { findBuildLeftovers, removeBuildLeftovers, type BuildLeftover } from '../builder/leftovers.ts';
import { processAlive } from '../internal/index.ts';
import { inTransaction, LeaseRecords } from '../metadata/index.ts';
import type { Engine } from './engine.ts';
import { findContainerLeftovers, removeContainerLeftovers } from './container-leftovers.ts';
import { removeStaleImageMount, staleImageMounts, type StaleImageMount } from './image-mount.ts';
import type { Leftover } from './leftover.ts';
import { planSnapshotSweep } from './snapshot-sweep.ts';
import { findProblems } from './store-problems.ts';

export type { Leftover } from './leftover.ts';

export interface CheckReport {
  blobsChecked: number;
  imagesChecked: number;
  /** Broken invariants: corruption, records pointing at nothing. */
  problems: string[];
  /** Leftovers found (after a repair: those it could not remove). */
  leftovers: Leftover[];
  /** Leftovers the repair removed (and manifest references it forgot). */
  repaired: Leftover[];
  /**
   * Records name others that are missing, so what those keep may look unused: `--repair`
   * leaves blobs, layers and snapshots to the garbage collector until that is mended.
   */
  garbageHeld: boolean;
}

const gone = (pid: number): string => `its process (${pid}) is gone`;

function buildLeftover(l: BuildLeftover): Leftover {
  const owner = `the build (process ${l.pid}) that made it is gone`;
  if (l.kind === 'container') return { what: `build container ${l.name} (${l.status ?? 'unknown'})`, why: owner };
  if (l.kind === 'network') return { what: `network of build container ${l.name}`, why: owner };
  if (l.kind === 'mount') return { what: `mount ${l.name}`, why: owner };
  return { what: `build directory ${l.name}`, why: owner };
}

const ingestLeftover = (i: { name: string; size: number; pid: number }): Leftover => ({
  what: `partial write content/ingest/${i.name}`, size: i.size, why: processAlive(i.pid) ? 'nobody wrote to it for a day' : gone(i.pid),
});
const leaseLeftover = (l: { id: string; pid: number }): Leftover => ({ what: `lease ${l.id}`, why: gone(l.pid) });
const blobLeftover = (b: { digest: string; size: number }): Leftover => ({ what: `blob ${b.digest}`, size: b.size, why: 'nothing references it' });
const layerLeftover = (chainId: string): Leftover => ({ what: `layer ${chainId}`, why: 'no image, container, build cache entry or lease uses it' });
const temporaryLeftover = (t: { key: string; pid: number }): Leftover => ({ what: `snapshot ${t.key}`, why: gone(t.pid) });
const snapshotLeftover = (key: string): Leftover => ({ what: `snapshot ${key}`, why: 'no layer record or other snapshot needs it' });
const orphanLeftover = (engine: Engine) => (dir: string): Leftover => ({
  what: `directory snapshots/${engine.snapshotter.driver}/${dir}`, why: 'no snapshot record names it (for over an hour)',
});
const trashLeftover = (name: string): Leftover => ({ what: `directory snapshots/trash/${name}`, why: 'its removal was interrupted' });
const mountLeftover = (m: StaleImageMount): Leftover => ({ what: `mount mounts/${m.name}`, why: m.why });

/**
 * index.json out of line with the records: a crash (or a full disk) between a commit and its
 * rewrite. Compared under the write lock, as writers rewrite it, so a rewrite in flight is
 * not taken for a crashed one.
 */
function staleIndex(engine: Engine): Leftover | undefined {
  return inTransaction(engine.db, () => {
    let listed: unknown;
    try {
      listed = (JSON.parse(readFileSync(join(engine.content.root, 'index.json'), 'utf8')) as { manifests?: unknown }).manifests;
    } catch {
      listed = undefined;
    }
    if (JSON.stringify(listed) === JSON.stringify(engine.images.indexEntries())) return undefined;
    return { what: 'content/index.json', why: 'it does not list what the image records hold' };
  });
}

/** Every leftover `--repair` would remove now, in the order it removes them. */
export async function findLeftovers(engine: Engine): Promise<Leftover[]> {
  const found = (await findBuildLeftovers(engine.root)).map(buildLeftover);
  found.push(...(await findContainerLeftovers(engine)));
  found.push(...staleImageMounts(engine).map(mountLeftover));
  found.push(...engine.content.staleIngest().map(ingestLeftover));
  const index = staleIndex(engine);
  if (index) found.push(index);
  const garbage = engine.gc.plan();
  found.push(...garbage.staleLeases.map(leaseLeftover), ...garbage.layers.map((l) => layerLeftover(l.chainId)), ...garbage.blobs.map(blobLeftover));
  // The snapshots left once those layers are gone; a dead layer's own snapshot goes with it.
  const deadLayers = new Set(garbage.layers.map((l) => l.chainId));
  const kept = new Set(engine.images.layers.all().map((l) => l.chainId).filter((c) => !deadLayers.has(c)));
  // Leases of dead processes are among the leftovers: only live ones keep a snapshot.
  const staleLeases = new Set(garbage.staleLeases.map((l) => l.id));
  const liveLeased = new Set(new LeaseRecords(engine.db).refs('layer').filter((r) => !staleLeases.has(r.leaseId)).map((r) => r.ref));
  const sweep = planSnapshotSweep(engine.snapshotter, (key) => kept.has(key) || liveLeased.has(key));
  found.push(
    ...sweep.temporary.map(temporaryLeftover),
    ...sweep.committed.filter((key) => !deadLayers.has(key)).map(snapshotLeftover),
    ...sweep.orphans.map(orphanLeftover(engine)),
    ...sweep.trash.map(trashLeftover),
  );
  return found;
}

/**
 * Removes the leftovers (as `findLeftovers` lists them); returns what it removed. Without
 * `collect`, only those no record decides about: a dead build's, stale mounts, partial writes.
 */
async function removeLeftovers(engine: Engine, options: { collect: boolean }): Promise<Leftover[]> {
  const removed = (await removeBuildLeftovers(engine.root, await findBuildLeftovers(engine.root))).map(buildLeftover);
  removed.push(...(await removeContainerLeftovers(engine)));
  for (const mount of staleImageMounts(engine)) {
    try {
      removeStaleImageMount(engine, mount);
      removed.push(mountLeftover(mount));
    } catch {
      // Still busy: it stays a leftover.
    }
  }
  const ingest = engine.content.staleIngest();
  const cleaned = new Set(engine.content.cleanIngest(ingest.map((i) => i.name)));
  removed.push(...ingest.filter((i) => cleaned.has(i.name)).map(ingestLeftover));
  // Before the collection: an index ahead of the records names blobs it is about to delete.
  const index = staleIndex(engine);
  if (index) {
    engine.images.refreshIndex();
    if (!staleIndex(engine)) removed.push(index);
  }
  if (!options.collect) return removed;
  const result = engine.collectGarbage();
  removed.push(
    ...result.releasedLeases.map(leaseLeftover),
    ...result.removedLayers.map(layerLeftover),
    ...result.removedBlobs.map(blobLeftover),
    ...result.snapshots.temporary.map(temporaryLeftover),
    ...result.snapshots.committed.map(snapshotLeftover),
    ...result.snapshots.orphans.map(orphanLeftover(engine)),
    ...result.snapshots.trash.map(trashLeftover),
  );
  return removed;
}

/**
 * Forgets the manifest of images whose manifest blob is gone: the image still has its
 * config and layers, `save` writes a manifest of its own, and `push` makes a new one.
 */
function forgetMissingManifests(engine: Engine): Leftover[] {
  const records = engine.images.records;
  return inTransaction(engine.db, () => records.all()
    .filter((row) => row.manifestDigest && !engine.content.has(row.manifestDigest as Digest))
    .map((row) => {
      records.setManifest(row.id, null);
      return { what: `manifest ${row.manifestDigest} from the record of image ${row.id}`, why: 'that blob is gone' };
    }));
}

export async function checkStore(engine: Engine, options: { repair?: boolean } = {}): Promise<CheckReport> {
  const repaired = options.repair ? forgetMissingManifests(engine) : [];
  const { blobsChecked, imagesChecked, problems, recordsBroken } = await findProblems(engine);
  if (options.repair) repaired.push(...await removeLeftovers(engine, { collect: !recordsBroken }));
  return { blobsChecked, imagesChecked, problems, repaired, leftovers: await findLeftovers(engine), garbageHeld: recordsBroken };
}
