/**
 * The invariants `system check` verifies, one `problem` line each that does not hold: every
 * blob hashes to its name; every record points at what exists — an image at its config,
 * manifest and layers, a layer at its parent and at its files (a snapshot or a blob), a blob
 * record at its blob, a snapshot at its parent, a container at its image's config and layers
 * and at its writable layer.
 *
 * strata never deletes data an image or container needs to mend such a problem: the line
 * names who needs what is lost and how to get it back (remove the image and pull or load it
 * again, as with a corrupt layer in containerd's content store). Every check is one pass over
 * the records it reads; the blobs are hashed once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chainIds, familiarString, parseImageConfigBytes, parseManifestBytes, parseReference, type Digest } from '../oci/index.ts';
import { ContainerRecords } from '../metadata/index.ts';
import type { Engine } from './engine.ts';

export interface StoreProblems {
  blobsChecked: number;
  imagesChecked: number;
  problems: string[];
  /**
   * A record names another one that is missing: what the missing one would keep alive may
   * look unused, so `--repair` collects no garbage until this is mended.
   */
  recordsBroken: boolean;
}

/** Which images need each layer and blob, to name them in a problem's hint. */
interface Needers {
  byChain: Map<string, Set<string>>;
  byDiffId: Map<string, Set<string>>;
  byBlob: Map<string, Set<string>>;
  /** How the hint names an image: its tags, or its short ID when it has none. */
  names: (imageId: string) => string[];
}

function add(map: Map<string, Set<string>>, key: string, imageId: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(imageId);
  map.set(key, set);
}

function needers(engine: Engine): Needers {
  const records = engine.images.records;
  const byChain = new Map<string, Set<string>>();
  const byDiffId = new Map<string, Set<string>>();
  const byBlob = new Map<string, Set<string>>();
  for (const { imageId, chainId } of records.allImageLayers()) add(byChain, chainId, imageId);
  for (const layer of engine.images.layers.all()) {
    for (const imageId of byChain.get(layer.chainId) ?? []) add(byDiffId, layer.diffId, imageId);
  }
  for (const image of records.all()) {
    add(byBlob, image.id, image.id);
    if (image.manifestDigest) add(byBlob, image.manifestDigest, image.id);
  }
  for (const blob of engine.images.layers.allBlobs()) {
    for (const imageId of byDiffId.get(blob.diffId) ?? []) add(byBlob, blob.digest, imageId);
  }
  const tags = new Map<string, string[]>();
  for (const tag of records.allTags()) tags.set(tag.imageId, [...(tags.get(tag.imageId) ?? []), familiarString(parseReference(tag.name))]);
  return { byChain, byDiffId, byBlob, names: (id) => tags.get(id) ?? [id.replace(/^sha256:/, '').slice(0, 12)] };
}

/** ` (needed by …: remove … with `strata rmi` and pull or load … again)`, or nothing when no image needs it. */
function rebuildHint(who: Needers, imageIds: Iterable<string> | undefined): string {
  const names = [...new Set([...imageIds ?? []].flatMap((id) => who.names(id)))].sort();
  if (names.length === 0) return '';
  const them = names.length === 1 ? 'it' : 'them';
  return ` (needed by ${names.join(', ')}: remove ${them} with \`strata rmi\` and pull or load ${them} again)`;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

export async function findProblems(engine: Engine): Promise<StoreProblems> {
  const found: StoreProblems = { blobsChecked: 0, imagesChecked: 0, problems: [], recordsBroken: false };
  const problem = (line: string, options: { records?: boolean } = {}): void => {
    found.problems.push(line);
    if (options.records) found.recordsBroken = true;
  };
  const who = needers(engine);
  const { content, images } = engine;

  for (const blob of content.list()) {
    const actual = await hashFile(content.path(blob.digest));
    found.blobsChecked++;
    if (actual !== blob.digest) problem(`blob ${blob.digest} is corrupted: its content hashes to ${actual}${rebuildHint(who, who.byBlob.get(blob.digest))}`);
  }

  /** Layer blobs the stored manifests name. */
  const manifestNamed = new Set<string>();
  for (const row of images.records.all()) {
    found.imagesChecked++;
    const id = row.id as Digest;
    const hint = rebuildHint(who, [id]);
    if (!content.has(id)) {
      problem(`image ${id}: its config blob is missing${hint}`);
      continue;
    }
    let diffIds: Digest[];
    try {
      diffIds = parseImageConfigBytes(content.readBytes(id)).rootfs.diff_ids;
    } catch (err) {
      problem(`image ${id}: config unreadable: ${(err as Error).message}${hint}`);
      continue;
    }
    const recorded = images.records.chainIds(id);
    if (recorded.join() !== chainIds(diffIds).join()) problem(`image ${id}: recorded layer stack does not match its config${hint}`, { records: true });
    for (const chainId of recorded) {
      if (!images.layers.get(chainId)) problem(`image ${id}: layer ${chainId} has no record${hint}`, { records: true });
    }
    if (row.manifestDigest) {
      if (!content.has(row.manifestDigest as Digest)) {
        problem(`image ${id}: manifest ${row.manifestDigest} is missing (--repair forgets it: a push makes a new one)`);
      } else {
        try {
          const parsed = parseManifestBytes(content.readBytes(row.manifestDigest as Digest));
          if (parsed.kind === 'manifest') for (const layer of parsed.manifest.layers) manifestNamed.add(layer.digest);
        } catch (err) {
          problem(`image ${id}: manifest unreadable: ${(err as Error).message}${hint}`);
        }
      }
    }
  }
  for (const tag of images.records.allTags()) {
    if (!images.records.get(tag.imageId)) problem(`tag ${tag.name} points at missing image ${tag.imageId}`);
  }

  for (const layer of images.layers.all()) {
    const hint = rebuildHint(who, who.byChain.get(layer.chainId));
    if (layer.parent && !images.layers.get(layer.parent)) problem(`layer ${layer.chainId}: parent ${layer.parent} has no record${hint}`, { records: true });
    // A layer's files live in its snapshot (of either driver) or in a blob to extract them from.
    if (!engine.snapshotter.records.get(layer.chainId) && !images.layers.blobsOf(layer.diffId).some((b) => content.has(b.digest as Digest))) {
      problem(`layer ${layer.chainId}: neither a snapshot nor a stored blob holds its files${hint}`);
    }
  }
  // A blob an image needs must be there when a stored manifest names it or it is the layer's
  // own tar: save and push send that very blob. (Push also records the gzip form it sent of a
  // barely compressible layer without keeping a copy: what the registry has, not a local blob.
  // A collection interrupted by a crash may leave records of blobs it removed, but only of
  // blobs nothing needs.)
  for (const blob of images.layers.allBlobs()) {
    const users = who.byDiffId.get(blob.diffId);
    const kept = blob.digest === blob.diffId || manifestNamed.has(blob.digest);
    if (users !== undefined && kept && !content.has(blob.digest as Digest)) problem(`layer ${blob.diffId}: its blob ${blob.digest} is missing${rebuildHint(who, users)}`);
  }

  const snapshots = engine.snapshotter.records.all();
  const keys = new Set(snapshots.map((s) => s.key));
  for (const s of snapshots) {
    if (s.parent && !keys.has(s.parent)) problem(`snapshot ${s.key}: its parent ${s.parent} has no record${rebuildHint(who, who.byChain.get(s.key))}`, { records: true });
  }

  for (const c of new ContainerRecords(engine.db).all()) {
    const name = `container ${c.name} (${c.id.slice(0, 12)})`;
    const hint = ` (keep its files with \`strata export ${c.name}\`, remove it with \`strata rm -f ${c.name}\`)`;
    if (!content.has(c.imageId as Digest)) problem(`${name}: its image's config ${c.imageId} is missing${hint}`);
    if (c.layerChain !== '' && !images.layers.get(c.layerChain)) problem(`${name}: its image's layer ${c.layerChain} has no record${hint}`, { records: true });
    // A removal (running, or killed: the container shows Dead and `rm` finishes it) takes the layer before the record.
    if (!keys.has(c.id) && c.lockOp !== 'rm') problem(`${name}: its writable layer (snapshot ${c.id}) is missing (remove it with \`strata rm -f ${c.name}\`)`);
  }
  return found;
}
