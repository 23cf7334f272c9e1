/**
 * `system check`: verifies the store's invariants — every blob hashes to its name, every
 * record points at things that exist, nothing half-written is visible — and lists every
 * leftover of an interrupted command: what dead builds left (containers, mounts, scratch
 * directories), what killed container commands left (container-leftovers.ts), leases and
 * partial writes of processes that are gone, the blobs, layers and snapshot directories the
 * garbage collector would remove, and an index.json ahead of the records. With `repair`, it
 * removes exactly those leftovers (through the garbage collector for records and blobs) and
 * lists what is still there afterwards.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chainIds, parseImageConfigBytes, parseManifestBytes, type Digest } from '../oci/index.ts';
import { findBuildLeftovers, removeBuildLeftovers, type BuildLeftover } from '../builder/leftovers.ts';
import { processAlive } from '../internal/index.ts';
import { LeaseRecords } from '../metadata/index.ts';
import { findContainerLeftovers, removeContainerLeftovers } from './container-leftovers.ts';
import type { Engine } from './engine.ts';
import type { Leftover } from './leftover.ts';
import { planSnapshotSweep } from './snapshot-sweep.ts';

export type { Leftover } from './leftover.ts';

export interface CheckReport {
  blobsChecked: number;
  imagesChecked: number;
  /** Broken invariants: corruption, records pointing at nothing. */
  problems: string[];
  /** Leftovers found (after a repair: those it could not remove). */
  leftovers: Leftover[];
  /** Leftovers the repair removed. */
  repaired: Leftover[];
}

const gone = (pid: number): string => `its process (${pid}) is gone`;

function buildLeftover(l: BuildLeftover): Leftover {
  const owner = `the build (process ${l.pid}) that made it is gone`;
  if (l.kind === 'container') return { what: `build container ${l.name} (${l.status ?? 'unknown'})`, why: owner };
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
const INDEX_LEFTOVER: Leftover = { what: 'content/index.json', why: 'it does not list the images the records hold (a command was interrupted before it committed)' };

/** Every leftover `--repair` would remove now, in the order it removes them. */
export async function findLeftovers(engine: Engine): Promise<Leftover[]> {
  const found = (await findBuildLeftovers(engine.root)).map(buildLeftover);
  found.push(...(await findContainerLeftovers(engine)));
  found.push(...engine.content.staleIngest().map(ingestLeftover));
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
  if (!engine.images.indexInLine()) found.push(INDEX_LEFTOVER);
  return found;
}

/** Removes the leftovers (as `findLeftovers` lists them); returns what it removed. */
async function removeLeftovers(engine: Engine): Promise<Leftover[]> {
  const removed = (await removeBuildLeftovers(engine.root, await findBuildLeftovers(engine.root))).map(buildLeftover);
  removed.push(...(await removeContainerLeftovers(engine)));
  const ingest = engine.content.staleIngest();
  const cleaned = new Set(engine.content.cleanIngest(ingest.map((i) => i.name)));
  removed.push(...ingest.filter((i) => cleaned.has(i.name)).map(ingestLeftover));
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
  // After the collection: the blobs of an image a crash left in index.json only are gone now.
  if (engine.images.repairIndex()) removed.push(INDEX_LEFTOVER);
  return removed;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

export async function checkStore(engine: Engine, options: { repair?: boolean } = {}): Promise<CheckReport> {
  const report: CheckReport = { blobsChecked: 0, imagesChecked: 0, problems: [], leftovers: [], repaired: [] };
  for (const blob of engine.content.list()) {
    const actual = await hashFile(engine.content.path(blob.digest));
    report.blobsChecked++;
    if (actual !== blob.digest) report.problems.push(`blob ${blob.digest} is corrupted: its content hashes to ${actual}`);
  }
  const images = engine.images;
  for (const row of images.records.all()) {
    report.imagesChecked++;
    const id = row.id as Digest;
    if (!engine.content.has(id)) {
      report.problems.push(`image ${id}: its config blob is missing`);
      continue;
    }
    let diffIds: Digest[];
    try {
      diffIds = parseImageConfigBytes(engine.content.readBytes(id)).rootfs.diff_ids;
    } catch (err) {
      report.problems.push(`image ${id}: config unreadable: ${(err as Error).message}`);
      continue;
    }
    const recorded = images.records.chainIds(id);
    const expected = chainIds(diffIds);
    if (recorded.join() !== expected.join()) report.problems.push(`image ${id}: recorded layer stack does not match its config`);
    for (const chainId of recorded) {
      if (!images.layers.get(chainId)) report.problems.push(`image ${id}: layer ${chainId} has no record`);
    }
    if (row.manifestDigest) {
      if (!engine.content.has(row.manifestDigest as Digest)) report.problems.push(`image ${id}: manifest ${row.manifestDigest} is missing`);
      else {
        try {
          parseManifestBytes(engine.content.readBytes(row.manifestDigest as Digest));
        } catch (err) {
          report.problems.push(`image ${id}: manifest unreadable: ${(err as Error).message}`);
        }
      }
    }
  }
  for (const tag of images.records.allTags()) {
    if (!images.records.get(tag.imageId)) report.problems.push(`tag ${tag.name} points at missing image ${tag.imageId}`);
  }
  for (const layer of images.layers.all()) {
    if (layer.parent && !images.layers.get(layer.parent)) report.problems.push(`layer ${layer.chainId}: parent ${layer.parent} has no record`);
    // A layer's files live in its snapshot (of either driver) or in a blob to extract them from.
    if (!engine.snapshotter.records.get(layer.chainId) && !images.layers.blobsOf(layer.diffId).some((b) => engine.content.has(b.digest as Digest))) {
      report.problems.push(`layer ${layer.chainId}: neither a snapshot nor a stored blob holds its files`);
    }
  }
  if (options.repair) report.repaired = await removeLeftovers(engine);
  report.leftovers = await findLeftovers(engine);
  return report;
}
