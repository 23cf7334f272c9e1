/**
 * `system check`: verifies the store's invariants — every blob hashes to its name, every
 * record points at things that exist, nothing half-written is visible — and reports what
 * it finds. With `repair`, it removes what is safe to remove (stale ingest files, stale
 * leases, unreferenced blobs and layers) through the garbage collector.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chainIds, parseImageConfigBytes, parseManifestBytes, type Digest } from '../oci/index.ts';
import { LeaseRecords } from '../metadata/index.ts';
import type { Engine } from './engine.ts';

export interface CheckReport {
  blobsChecked: number;
  imagesChecked: number;
  /** Broken invariants: corruption, records pointing at nothing. */
  problems: string[];
  /** Harmless leftovers (partial writes of a crashed process, unreferenced blobs). */
  notes: string[];
  repaired: string[];
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

export async function checkStore(engine: Engine, options: { repair?: boolean } = {}): Promise<CheckReport> {
  const report: CheckReport = { blobsChecked: 0, imagesChecked: 0, problems: [], notes: [], repaired: [] };
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
  const ingest = engine.content.listIngest();
  const leases = new LeaseRecords(engine.db);
  if (options.repair) {
    const stale = engine.content.cleanIngest();
    if (stale > 0) report.repaired.push(`removed ${stale} partial write(s) from ingest/`);
    const result = engine.collectGarbage();
    if (result.removedBlobs.length + result.removedLayers.length > 0) {
      report.repaired.push(`removed ${result.removedBlobs.length} unreferenced blob(s) and ${result.removedLayers.length} layer(s)`);
    }
  } else if (ingest.length > 0 && leases.all().length === 0) {
    report.notes.push(`${ingest.length} partial write(s) in ingest/, left by an interrupted command (never visible as blobs); --repair removes them`);
  }
  return report;
}
