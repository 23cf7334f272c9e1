/**
 * Image records: name → image ID (the config digest) → config, layers and manifest.
 * Knows nothing about mounts: a layer here is a chain ID with its sizes; where its files
 * live is the snapshotter's business.
 */
import { invalidArgument, notFound } from '../errdefs/index.ts';
import type { ContentStore } from '../content/index.ts';
import {
  chainIds, familiarString, formatReference, GO_ZERO_TIME, nowRfc3339Nano, parseDigest, parseImageConfigBytes,
  parseManifestBytes, parseReference, withDefaultTag, MediaType, type Descriptor, type Digest, type ImageConfig, type Reference,
} from '../oci/index.ts';
import { inTransaction, ImageRecords, LayerRecords, type Database, type ImageRow } from '../metadata/index.ts';
import { failpoint } from '../internal/index.ts';
import { checkImageDepth } from './image-depth.ts';

/** A layer as a producer (load, import, pull, build, commit) measured it. */
export interface NewLayer {
  diffId: Digest;
  /** docker's layer size: regular file bytes plus symlink target lengths, hardlinks once. */
  size: number;
  /** Bytes of the uncompressed layer tar. */
  tarSize: number;
  /** A stored blob holding this layer (uncompressed or compressed), if one is kept. */
  blob?: { digest: Digest; mediaType: string; size: number };
}

export interface NewImage {
  config: Buffer;
  /** The manifest the image came with (load, pull), kept so save and push reproduce it. */
  manifest?: { bytes: Buffer; mediaType: string };
  layers: NewLayer[];
  /** Names to point at the image (moved from any image they named before). */
  tags?: Reference[];
  repoDigests?: Reference[];
}

export interface CreatedImage {
  id: Digest;
  /** True when the image was not stored before. */
  created: boolean;
  /** For each tag that moved: the image it named before. */
  retagged: { name: string; previous: Digest }[];
}

const INSPECT_ZERO = GO_ZERO_TIME;

export class ImageStore {
  readonly records: ImageRecords;
  readonly layers: LayerRecords;
  /** Inside a transaction this store began: index.json is rewritten once it commits. */
  private ownTransaction = false;
  private indexDirty = false;
  /** A rewrite after a commit failed (a full disk): index.json lags behind the records. */
  private indexBehind = false;

  constructor(
    readonly db: Database,
    readonly content: ContentStore,
  ) {
    this.records = new ImageRecords(db);
    this.layers = new LayerRecords(db);
  }

  /**
   * Stores an image: config and manifest blobs, layer and image rows and tags, in one
   * transaction. The layer blobs (if any) must already be in the content store.
   * @throws invalid-argument when the config does not match the layers, or has too many to run
   */
  create(image: NewImage): CreatedImage {
    const config = parseImageConfigBytes(image.config);
    const diffIds = config.rootfs.diff_ids;
    // The commands that make images check earlier, before they write; this is the last word.
    checkImageDepth(diffIds.length, 'the image has');
    if (diffIds.length !== image.layers.length) {
      throw invalidArgument(`image config lists ${diffIds.length} layers (rootfs.diff_ids) but ${image.layers.length} were given`);
    }
    image.layers.forEach((layer, i) => {
      if (layer.diffId !== diffIds[i]) {
        throw invalidArgument(`image config: rootfs.diff_ids[${i}] is ${diffIds[i]} but the layer's content hashes to ${layer.diffId}`);
      }
    });
    const configInfo = this.content.writeBytes(image.config);
    let manifestRow: { digest: string; mediaType: string; size: number } | null = null;
    if (image.manifest) {
      const parsed = parseManifestBytes(image.manifest.bytes, 'manifest');
      if (parsed.kind !== 'manifest') throw invalidArgument('expected an image manifest, got an index');
      if (parsed.manifest.config.digest !== configInfo.digest) {
        throw invalidArgument(`manifest: config digest ${parsed.manifest.config.digest} does not match the config ${configInfo.digest}`);
      }
      const info = this.content.writeBytes(image.manifest.bytes);
      manifestRow = { digest: info.digest, mediaType: image.manifest.mediaType, size: info.size };
    }
    const chains = chainIds(diffIds);
    const id = configInfo.digest;
    const now = Date.now();
    if (!this.db.inTransaction) failpoint('image create: blobs written');
    return this.transaction(() => {
      // A blob that was already stored was not written again, and a collection since may
      // have taken it (no image named it then): stored again here, where none can run.
      if (!this.content.has(id)) this.content.writeBytes(image.config);
      if (image.manifest && manifestRow && !this.content.has(manifestRow.digest as Digest)) this.content.writeBytes(image.manifest.bytes);
      image.layers.forEach((layer, i) => {
        const chainId = chains[i] as Digest;
        this.layers.insert({ chainId, diffId: layer.diffId, parent: i === 0 ? null : (chains[i - 1] as string), size: layer.size, tarSize: layer.tarSize, createdAt: now });
        if (layer.blob) this.layers.addBlob({ diffId: layer.diffId, digest: layer.blob.digest, mediaType: layer.blob.mediaType, size: layer.blob.size });
      });
      const size = image.layers.reduce((sum, l, i) => sum + (this.layers.get(chains[i] as string)?.size ?? l.size), 0);
      const created = this.records.insert({
        id, configSize: configInfo.size, created: config.created ?? null, parent: config.parent ?? '',
        manifestDigest: manifestRow?.digest ?? null, manifestMediaType: manifestRow?.mediaType ?? null, manifestSize: manifestRow?.size ?? null,
        size, addedAt: now, labels: JSON.stringify(config.config?.Labels ?? {}),
      }, chains);
      if (!created && manifestRow && !this.records.get(id)?.manifestDigest) this.records.setManifest(id, manifestRow);
      const retagged: { name: string; previous: Digest }[] = [];
      for (const tag of image.tags ?? []) {
        const previous = this.tagInTransaction(withDefaultTag(tag), id);
        if (previous !== undefined && previous !== id) retagged.push({ name: formatReference(withDefaultTag(tag)), previous: previous as Digest });
      }
      for (const ref of image.repoDigests ?? []) {
        if (ref.digest) this.records.addRepoDigest(`${ref.domain}/${ref.path}@${ref.digest}`, id);
      }
      this.refreshIndex();
      return { id, created, retagged };
    });
  }

  private tagInTransaction(ref: Reference, id: string): string | undefined {
    if (ref.digest !== undefined) throw invalidArgument(`refusing to create a tag with a digest reference: ${familiarString(ref)}`);
    return this.records.tag(formatReference(ref), id, Date.now(), nowRfc3339Nano());
  }

  /** Points `ref` at image `id`; returns the image it named before, if any. */
  tag(ref: Reference, id: Digest): string | undefined {
    failpoint('tag: image found');
    return this.transaction(() => {
      // Checked in the transaction: an rmi may have removed the image since it was found.
      if (!this.records.get(id)) throw notFound(`No such image: ${id}`);
      const previous = this.tagInTransaction(withDefaultTag(ref), id);
      this.refreshIndex();
      return previous;
    });
  }

  get(id: string): ImageRow | undefined {
    return this.records.get(id);
  }

  /** The image's parsed config (verified against its digest). */
  config(id: Digest): ImageConfig {
    return parseImageConfigBytes(this.content.readBytes(id), `image config ${id}`);
  }

  /** config.Labels, from the record (read from the config once for images stored before labels were recorded). */
  labels(id: string): Record<string, string> | null {
    const row = this.records.get(id);
    if (row?.labels != null) {
      const parsed = JSON.parse(row.labels) as Record<string, string>;
      return Object.keys(parsed).length === 0 ? null : parsed;
    }
    const labels = this.config(id as Digest).config?.Labels ?? {};
    this.records.setLabels(id, JSON.stringify(labels));
    return Object.keys(labels).length === 0 ? null : labels;
  }

  configBytes(id: Digest): Buffer {
    return this.content.readBytes(id);
  }

  /**
   * Finds an image as docker does: a full ID (`sha256:…` or 64 hex), a reference
   * (`name`, `name:tag`, `name@digest`; `:latest` implied), or an unambiguous ID prefix.
   * @throws not-found `No such image: …`
   */
  resolve(refOrId: string): Digest {
    const found = this.lookup(refOrId);
    if (found === undefined) throw notFound(`No such image: ${describeRef(refOrId)}`);
    return found;
  }

  /** Like resolve, but undefined instead of an error. Ambiguous prefixes still throw. */
  lookup(refOrId: string): Digest | undefined {
    if (/^sha256:[a-f0-9]{64}$/.test(refOrId) || /^[a-f0-9]{64}$/.test(refOrId)) {
      const id = parseDigest(refOrId.startsWith('sha256:') ? refOrId : `sha256:${refOrId}`);
      if (this.records.get(id)) return id;
    }
    let ref: Reference | undefined;
    try {
      ref = parseReference(refOrId);
    } catch {
      ref = undefined;
    }
    if (ref) {
      if (ref.digest !== undefined && ref.tag === undefined) {
        const target = this.records.repoDigestTarget(`${ref.domain}/${ref.path}@${ref.digest}`);
        if (target) return target as Digest;
      } else {
        const target = this.records.tagTarget(formatReference(withDefaultTag({ ...ref, digest: undefined } as Reference)));
        if (target && (ref.digest === undefined || this.records.repoDigestsOf(target).some((d) => d.endsWith(`@${ref.digest}`)))) return target as Digest;
      }
    }
    const prefix = refOrId.startsWith('sha256:') ? refOrId.slice(7) : refOrId;
    if (/^[a-f0-9]+$/.test(prefix) && prefix.length >= 1) {
      const ids = this.records.idsWithPrefix(prefix);
      if (ids.length === 1) return ids[0] as Digest;
      if (ids.length > 1) throw invalidArgument(`ambiguous image ID prefix ${refOrId}: more than one image matches`);
    }
    return undefined;
  }

  /** Familiar `name:tag` strings naming an image, sorted. */
  repoTags(id: string): string[] {
    return this.records.tagsOf(id).map((t) => familiarString(parseReference(t.name)));
  }

  repoDigests(id: string): string[] {
    return this.records.repoDigestsOf(id).map((d) => familiarString(parseReference(d)));
  }

  lastTagTime(id: string): string {
    return this.records.get(id)?.lastTagTime ?? INSPECT_ZERO;
  }

  /**
   * One write transaction of this store; index.json is rewritten after it commits (see
   * `refreshIndex`). Nested in a transaction, it is part of that one.
   */
  private transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return inTransaction(this.db, fn);
    let result: T;
    this.ownTransaction = true;
    try {
      result = inTransaction(this.db, fn);
    } catch (err) {
      // Rolled back: index.json never showed it.
      this.indexDirty = false;
      throw err;
    } finally {
      this.ownTransaction = false;
    }
    if (this.indexDirty) this.writeIndex();
    return result;
  }

  /**
   * Rewrites index.json if a rewrite after a commit failed (a full disk): a failed command
   * calls it again once its files gave their space back.
   */
  restoreIndex(): void {
    if (this.indexBehind) this.writeIndex();
  }

  /** Runs `fn` in one transaction, rewriting index.json once at the end. */
  batch<T>(fn: () => T): T {
    return this.transaction(fn);
  }

  /**
   * Rewrites content/index.json from the records: one entry per tag of every image whose
   * manifest and blobs are all stored (and one unnamed entry for such an untagged image),
   * so the layout stays valid for skopeo and umoci. Inside this store's transaction it
   * waits for the commit (docs/DURABILITY.md): a crash in between leaves index.json behind
   * the records, never ahead of them naming images a rollback removed, whose blobs the next
   * collection deletes. Inside another module's transaction it is written at once.
   */
  refreshIndex(): void {
    if (this.ownTransaction) this.indexDirty = true;
    else this.writeIndex();
  }

  /** What index.json lists when it is in line with the records. */
  indexEntries(): Descriptor[] {
    const entries: Descriptor[] = [];
    for (const image of this.records.all()) {
      if (!image.manifestDigest || !image.manifestMediaType || image.manifestSize === null) continue;
      const manifestDigest = image.manifestDigest as Digest;
      if (!this.content.has(manifestDigest) || !this.content.has(image.id as Digest)) continue;
      let complete = true;
      try {
        const parsed = parseManifestBytes(this.content.readBytes(manifestDigest));
        if (parsed.kind === 'manifest') complete = parsed.manifest.layers.every((l) => this.content.has(l.digest));
      } catch {
        complete = false;
      }
      if (!complete) continue;
      const base = { mediaType: image.manifestMediaType, digest: manifestDigest, size: image.manifestSize };
      const tags = this.records.tagsOf(image.id);
      if (tags.length === 0) entries.push(base);
      for (const tag of tags) {
        // The full name, not just the tag as `save` writes: the store holds many repositories,
        // and tools such as skopeo (`oci:<dir>:<ref.name>`) need each name to be unique.
        entries.push({ ...base, annotations: { 'io.containerd.image.name': tag.name, 'org.opencontainers.image.ref.name': tag.name } });
      }
    }
    return entries.sort((a, b) => (a.annotations?.['io.containerd.image.name'] ?? a.digest).localeCompare(b.annotations?.['io.containerd.image.name'] ?? b.digest));
  }

  /**
   * Writes index.json from the records, reading them in a write transaction of its own so
   * that concurrent rewrites serialise and the last one sees every commit. A failure after
   * the commit (a full disk) does not undo the change: index.json stays behind until
   * `restoreIndex` or the next change (`system check` names it meanwhile).
   */
  private writeIndex(): void {
    this.indexDirty = false;
    if (this.db.inTransaction) {
      this.writeIndexNow();
      return;
    }
    try {
      inTransaction(this.db, () => this.writeIndexNow());
      this.indexBehind = false;
    } catch {
      this.indexBehind = true;
    }
  }

  private writeIndexNow(): void {
    this.content.writeIndex(this.indexEntries());
  }
}

/** How docker names a missing image in `No such image: …`. */
export function describeRef(refOrId: string): string {
  try {
    const ref = parseReference(refOrId);
    return familiarString(withDefaultTag(ref));
  } catch {
    return refOrId;
  }
}

export { MediaType };
