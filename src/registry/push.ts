/**
 * `push`: sends a tagged image's blobs and manifest to a registry.
 *
 * Which manifest goes out:
 *   - the one the image came with (a pull), unchanged, when its layers are compressed
 *     blobs that are stored here or that the registry already holds (or can mount): the
 *     digest stays the same, as containerd does;
 *   - otherwise a Docker schema 2 manifest (what docker pushes) over gzip blobs: a gzip
 *     blob stored for the layer is reused; a layer without one is compressed while it
 *     uploads (gzip level 6 in 1 MiB blocks on every core, see parallel-gzip.ts: the same
 *     layer always gives the same digest), hashed as it goes, kept in the content store and
 *     recorded for its diff_id so the next push of it needs no compression.
 *
 * Each blob is checked with HEAD first (`Layer already exists`), then mounted from another
 * repository of the same registry that holds it (`Mounted from …`), else uploaded
 * monolithically (PUT with the bytes) or in chunks (PATCH with Content-Range), or, when its
 * digest is not known before compression, streamed with PATCH and closed with PUT.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { dataLoss, invalidArgument, notFound, StrataError } from '../errdefs/index.ts';
import { inTransaction, LeaseRecords } from '../metadata/index.ts';
import {
  chainIds, familiarName, familiarString, formatReference, layerCompression, MediaType, parseManifestBytes, parseReference, shortId,
  withDefaultTag, type Descriptor, type Digest, type ImageManifest, type Reference,
} from '../oci/index.ts';
import { allOrAbort, Limiter } from './concurrency.ts';
import { backoffDelay, isTransientNetworkError, sleep } from './http-transport.ts';
import { openRegistries } from './open-registries.ts';
import { parallelGzip } from './parallel-gzip.ts';
import { ProgressReporter, type ProgressListener } from './progress.ts';
import type { PullTarget } from './pull.ts';
import type { Registries } from './registry-client.ts';
import { RegistryResponseError } from './registry-errors.ts';
import { Repository } from './repository.ts';

/** What a push needs of the engine (Engine satisfies it). */
export interface PushTarget extends PullTarget {
  /** The uncompressed tar of a layer (from a stored blob or regenerated from its snapshot). */
  layerTar(layer: { diffId: Digest; chainId?: Digest }): Promise<Readable>;
}

export interface PushOptions {
  /** The clients to use; default: `openRegistries()`, closed at the end. */
  registries?: Registries;
  /** Push every tag of the repository (`-a`). */
  allTags?: boolean;
  /** Blobs uploaded at once (`--max-concurrent-uploads`, default 5). */
  maxConcurrentUploads?: number;
  /** Upload known blobs in PATCH chunks of this many bytes instead of one PUT. */
  chunkSize?: number;
  /**
   * Keep gzip blobs made for the push in the content store (default true; a barely
   * compressible layer keeps only its digest, see KEEP_MAX_RATIO): the next push
   * of the layer to any registry then needs no compression, and the image's pushed
   * manifest is complete locally.
   */
  keepCompressed?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface PushedTag {
  reference: Reference;
  id: Digest;
  digest: Digest;
  /** Bytes of the manifest, as docker prints after `size:`. */
  size: number;
  mediaType: string;
}

export interface PushResult {
  repository: Reference;
  tags: PushedTag[];
  /** Blobs uploaded (not skipped, not mounted), with how many bytes went over the wire. */
  uploaded: { digest: Digest; size: number }[];
  mounted: Digest[];
  skipped: Digest[];
}

/**
 * A gzip blob made for a push is kept only while it stays under this share of the tar
 * (checked once past KEEP_PROBE_BYTES): measured on a 1 GiB random layer, writing the copy
 * cost 4.3 s of a 18 s push and would save nothing next time, as incompressible blocks are
 * stored at disk speed; a 150 MB source tree compresses 100:1 and its copy saves the gzip.
 */
const KEEP_MAX_RATIO = 0.8;
const KEEP_PROBE_BYTES = 8 * 1024 * 1024;

/** How one layer travels. */
type LayerSource =
  | { kind: 'stored'; descriptor: Descriptor }
  | { kind: 'remote'; descriptor: Descriptor }
  | { kind: 'compress'; diffId: Digest; chainId: Digest; tarSize: number; known?: Descriptor };

interface PlannedLayer {
  diffId: Digest;
  source: LayerSource;
}

interface Plan {
  manifest?: { bytes: Buffer; mediaType: string };
  layers: PlannedLayer[];
}

/**
 * Pushes `reference` (a tag, `:latest` when none; every tag with `allTags`).
 * @throws not-found (`An image does not exist locally with the tag: …`, `tag does not exist: …`),
 *   invalid-argument (a digest reference), permission-denied (`denied: requested access to the resource is denied`),
 *   unavailable (registry unreachable after retries)
 */
export async function pushImage(target: PushTarget, reference: string | Reference, options: PushOptions = {}): Promise<PushResult> {
  if (options.registries === undefined) {
    const registries = openRegistries();
    try {
      return await pushImage(target, reference, { ...options, registries });
    } finally {
      await registries.close();
    }
  }
  const parsed = typeof reference === 'string' ? parseReference(reference) : reference;
  if (parsed.digest !== undefined) throw invalidArgument('cannot push a digest reference');
  const repoRef: Reference = { domain: parsed.domain, path: parsed.path };
  const progress = new ProgressReporter(options.onProgress);
  const leases = new LeaseRecords(target.images.db);
  // The tags are read and what they name is leased in one transaction: an rmi or prune that
  // runs meanwhile removes the records (as docker's does) but leaves the blobs and layers
  // until the push has sent them.
  const { wanted, leaseId } = inTransaction(target.images.db, () => {
    const wanted = pushedTags(target.images.records, parsed, repoRef, options.allTags === true);
    const leaseId = leases.create();
    for (const { id } of wanted) leaseImage(target, leases, leaseId, id);
    return { wanted, leaseId };
  });
  try {
    progress.message(`The push refers to repository [${formatReference(repoRef)}]`);
    const repo = new Repository(options.registries.client(repoRef.domain), repoRef.path);
    const pusher = new Pusher(target, repo, options, progress);
    const result: PushResult = { repository: repoRef, tags: [], uploaded: [], mounted: [], skipped: [] };
    try {
      for (const { ref, id } of wanted) result.tags.push(await pusher.pushTag(ref, id, result));
    } catch (err) {
      if (options.signal?.aborted) throw new StrataError('canceled', 'push canceled', { cause: err });
      // docker reports a refused push in the registry's words alone.
      if (err instanceof RegistryResponseError && (err.has('DENIED') || err.has('UNAUTHORIZED'))) {
        throw new StrataError('permission-denied', err.detail, { cause: err, hint: `run \`strata login ${repoRef.domain}\` with an account that may push to ${familiarName(repoRef)}` });
      }
      throw err;
    }
    return result;
  } finally {
    inTransaction(target.images.db, () => leases.release(leaseId));
  }
}

/** The tags a push sends and the images they name, as docker picks them. */
function pushedTags(records: PushTarget['images']['records'], parsed: Reference, repoRef: Reference, allTags: boolean): { ref: Reference; id: Digest }[] {
  const prefix = `${formatReference(repoRef)}:`;
  const associations = records.allTags().filter((t) => t.name.startsWith(prefix));
  if (associations.length === 0) throw notFound(`An image does not exist locally with the tag: ${familiarName(repoRef)}`);
  if (allTags) {
    if (parsed.tag !== undefined) throw invalidArgument('tag can\'t be used with --all-tags/-a');
    return associations.map((t) => ({ ref: parseReference(t.name), id: t.imageId as Digest }));
  }
  const ref = withDefaultTag(parsed);
  const id = records.tagTarget(formatReference(ref));
  if (id === undefined) throw notFound(`tag does not exist: ${familiarString(ref)}`);
  return [{ ref, id: id as Digest }];
}

/** Leases an image's config, manifest and layer stack (with the blobs known to hold its layers). */
function leaseImage(target: PushTarget, leases: LeaseRecords, leaseId: string, id: Digest): void {
  leases.add(leaseId, 'blob', id);
  const manifestDigest = target.images.get(id)?.manifestDigest;
  if (manifestDigest) leases.add(leaseId, 'blob', manifestDigest);
  for (const chainId of chainIds(target.images.config(id).rootfs.diff_ids)) leases.add(leaseId, 'layer', chainId);
}

class Pusher {
  private readonly limiter: Limiter;
  private mountSources: Map<string, string[]> | undefined;

  constructor(
    private readonly target: PushTarget,
    private readonly repo: Repository,
    private readonly options: PushOptions,
    private readonly progress: ProgressReporter,
  ) {
    this.limiter = new Limiter(options.maxConcurrentUploads ?? 5);
  }

  private get keep(): boolean {
    return this.options.keepCompressed ?? true;
  }

  private get signalOption(): { signal?: AbortSignal } {
    return this.options.signal ? { signal: this.options.signal } : {};
  }

  /**
   * Other repositories of the same registry that hold a layer, by diff_id: where images
   * with the layer were pulled from or pushed to (their repo digests). Candidates for a
   * cross-repository mount.
   */
  private mountCandidates(diffId: Digest): string[] {
    if (this.mountSources === undefined) {
      const images = this.target.images;
      const diffByChain = new Map(images.layers.all().map((l) => [l.chainId, l.diffId]));
      const pathsByImage = new Map<string, Set<string>>();
      for (const { name, imageId } of images.records.allRepoDigests()) {
        const ref = parseReference(name);
        if (ref.domain !== this.repo.client.domain || ref.path === this.repo.path) continue;
        const set = pathsByImage.get(imageId) ?? new Set<string>();
        set.add(ref.path);
        pathsByImage.set(imageId, set);
      }
      const sources = new Map<string, string[]>();
      for (const { imageId, chainId } of images.records.allImageLayers()) {
        const paths = pathsByImage.get(imageId);
        const diff = diffByChain.get(chainId);
        if (!paths || diff === undefined) continue;
        const list = sources.get(diff) ?? [];
        for (const p of paths) if (!list.includes(p)) list.push(p);
        sources.set(diff, list);
      }
      this.mountSources = sources;
    }
    return (this.mountSources.get(diffId) ?? []).slice(0, 3);
  }

  async pushTag(ref: Reference, id: Digest, result: PushResult): Promise<PushedTag> {
    const images = this.target.images;
    const configBytes = images.configBytes(id);
    const config = images.config(id);
    const diffIds = config.rootfs.diff_ids;
    const plan = await this.plan(id, diffIds);
    // docker lists the top layer first.
    const order: { layer: PlannedLayer }[] = [];
    for (const layer of [...plan.layers].reverse()) if (!order.some((o) => o.layer.diffId === layer.diffId)) order.push({ layer });
    for (const { layer } of order) this.progress.update(shortId(layer.diffId), 'Preparing');
    let queued = 0;
    for (const { layer } of order) if (++queued > (this.options.maxConcurrentUploads ?? 5)) this.progress.update(shortId(layer.diffId), 'Waiting');
    const controller = new AbortController();
    const outer = this.options.signal;
    const onOuterAbort = (): void => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let descriptors: Map<Digest, Descriptor>;
    try {
      const pushed = await allOrAbort(order.map(({ layer }) => (signal: AbortSignal) => this.limiter.run(() => this.pushLayer(layer, signal, result))), controller);
      descriptors = new Map(order.map(({ layer }, k) => [layer.diffId, pushed[k] as Descriptor]));
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
    }
    const configDescriptor: Descriptor = { mediaType: MediaType.dockerConfig, digest: id, size: configBytes.length };
    await this.pushConfig(configDescriptor, configBytes, result);
    let manifest = plan.manifest;
    let generated = false;
    if (manifest === undefined) {
      generated = true;
      const doc: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: configDescriptor,
        layers: plan.layers.map((l) => descriptors.get(l.diffId) as Descriptor),
      };
      manifest = { bytes: Buffer.from(JSON.stringify(docOrder(doc), null, 3)), mediaType: MediaType.dockerManifest };
    }
    const tag = ref.tag ?? 'latest';
    const digest = await this.repo.putManifest(tag, manifest.bytes, manifest.mediaType, this.signalOption);
    this.record(id, ref, digest, manifest, generated);
    this.progress.message(`${tag}: digest: ${digest} size: ${manifest.bytes.length}`);
    return { reference: ref, id, digest, size: manifest.bytes.length, mediaType: manifest.mediaType };
  }

  /** The config: skipped when there, mounted from where the image was pulled or pushed before, else uploaded. */
  private async pushConfig(descriptor: Descriptor, bytes: Buffer, result: PushResult): Promise<void> {
    if (await this.repo.hasBlob(descriptor.digest, this.signalOption)) return;
    let location: string | undefined;
    for (const from of this.imageRepositories(descriptor.digest)) {
      const start = await this.repo.startUpload({ mount: { digest: descriptor.digest, from }, ...this.signalOption });
      if (start.kind === 'mounted') {
        result.mounted.push(descriptor.digest);
        return;
      }
      location = start.location;
      break;
    }
    await this.withRetries(() => {
      const session = location;
      location = undefined;
      return this.uploadKnown(descriptor, () => Readable.from([bytes]), undefined, this.options.signal, session);
    });
    result.uploaded.push({ digest: descriptor.digest, size: bytes.length });
  }

  /** Other repositories of this registry the image was pulled from or pushed to. */
  private imageRepositories(id: Digest): string[] {
    const paths: string[] = [];
    for (const name of this.target.images.records.repoDigestsOf(id)) {
      const ref = parseReference(name);
      if (ref.domain === this.repo.client.domain && ref.path !== this.repo.path && !paths.includes(ref.path)) paths.push(ref.path);
    }
    return paths.slice(0, 3);
  }

  /** Repo digest, compressed-blob records and (when complete here) the pushed manifest, in one transaction. */
  private record(id: Digest, ref: Reference, digest: Digest, manifest: { bytes: Buffer; mediaType: string }, generated: boolean): void {
    const images = this.target.images;
    const content = this.target.content;
    const parsed = parseManifestBytes(manifest.bytes, 'pushed manifest');
    const complete = parsed.kind === 'manifest' && parsed.manifest.layers.every((l) => content.has(l.digest));
    if (generated && complete) content.writeBytes(manifest.bytes);
    images.batch(() => {
      // An rmi may have removed the image while it travelled: then there is nothing to note.
      if (images.records.get(id) === undefined) return;
      images.records.addRepoDigest(`${ref.domain}/${ref.path}@${digest}`, id);
      if (generated && complete) {
        const row = images.records.get(id);
        const current = row?.manifestDigest ? this.storedManifestUsable(row.manifestDigest as Digest) : false;
        // Keep a manifest the image came with; replace one strata made over uncompressed blobs.
        if (!current) {
          images.records.setManifest(id, { digest, mediaType: manifest.mediaType, size: manifest.bytes.length });
          images.refreshIndex();
        }
      }
    });
  }

  private storedManifestUsable(digest: Digest): boolean {
    try {
      const parsed = parseManifestBytes(this.target.content.readBytes(digest));
      return parsed.kind === 'manifest' && parsed.manifest.layers.every((l) => {
        const c = layerCompression(l.mediaType);
        return (c === 'gzip' || c === 'zstd') && this.target.content.has(l.digest);
      });
    } catch {
      return false;
    }
  }

  /** Decides which manifest goes out and where each layer's bytes come from. */
  private async plan(id: Digest, diffIds: Digest[]): Promise<Plan> {
    const images = this.target.images;
    const content = this.target.content;
    const row = images.get(id);
    if (row?.manifestDigest && content.has(row.manifestDigest as Digest)) {
      const stored = this.usableStoredManifest(row.manifestDigest as Digest, id, diffIds);
      if (stored) {
        const layers: PlannedLayer[] = [];
        let usable = true;
        for (const [i, descriptor] of stored.manifest.layers.entries()) {
          const diffId = diffIds[i] as Digest;
          if (content.has(descriptor.digest)) layers.push({ diffId, source: { kind: 'stored', descriptor } });
          else if (await this.remoteHas(descriptor.digest, diffId)) layers.push({ diffId, source: { kind: 'remote', descriptor } });
          else {
            usable = false;
            break;
          }
        }
        if (usable) return { manifest: { bytes: stored.bytes, mediaType: stored.manifest.mediaType }, layers };
      }
    }
    const chains = chainIds(diffIds);
    return {
      layers: diffIds.map((diffId, i) => {
        const blobs = images.layers.blobsOf(diffId).filter((b) => layerCompression(b.mediaType) === 'gzip');
        const stored = blobs.find((b) => content.has(b.digest as Digest));
        if (stored) return { diffId, source: { kind: 'stored', descriptor: { mediaType: MediaType.dockerLayerGzip, digest: stored.digest as Digest, size: stored.size } } };
        const layerRow = images.layers.get(chains[i] as Digest) ?? images.layers.anyWithDiffId(diffId);
        if (!layerRow) throw dataLoss(`image ${id}: layer ${diffId} has no record; run \`strata system check\``);
        const known = blobs[0];
        return {
          diffId,
          source: {
            // The chain ID finds the snapshot of a layer built here, which keeps no blob.
            kind: 'compress', diffId, chainId: chains[i] as Digest, tarSize: layerRow.tarSize,
            ...(known ? { known: { mediaType: MediaType.dockerLayerGzip, digest: known.digest as Digest, size: known.size } } : {}),
          },
        };
      }),
    };
  }

  private usableStoredManifest(digest: Digest, id: Digest, diffIds: Digest[]): { manifest: ImageManifest; bytes: Buffer } | undefined {
    try {
      const bytes = this.target.content.readBytes(digest);
      const parsed = parseManifestBytes(bytes);
      if (parsed.kind !== 'manifest' || parsed.manifest.config.digest !== id || parsed.manifest.layers.length !== diffIds.length) return undefined;
      const compressed = parsed.manifest.layers.every((l) => {
        const c = layerCompression(l.mediaType);
        return c === 'gzip' || c === 'zstd';
      });
      return compressed ? { manifest: parsed.manifest, bytes } : undefined;
    } catch {
      return undefined;
    }
  }

  /** True when the target repository holds the blob, or a mount from a sibling repository put it there. */
  private async remoteHas(digest: Digest, diffId: Digest): Promise<boolean> {
    if (await this.repo.hasBlob(digest, this.signalOption)) return true;
    for (const from of this.mountCandidates(diffId)) {
      const start = await this.repo.startUpload({ mount: { digest, from }, ...this.signalOption });
      if (start.kind === 'mounted') return true;
    }
    return false;
  }

  /** Runs an upload again (from a fresh source) after a broken connection or a 5xx. */
  private async withRetries<T>(fn: () => Promise<T>, id?: string): Promise<T> {
    const policy = this.repo.client.retryPolicy;
    for (let failures = 0; ; ) {
      try {
        return await fn();
      } catch (err) {
        const transient = isTransientNetworkError(err) || (err instanceof RegistryResponseError && err.status >= 500);
        if (this.options.signal?.aborted || !transient || ++failures >= policy.attempts) throw err;
        const delayMs = backoffDelay(policy, failures);
        const seconds = Math.max(1, Math.round(delayMs / 1000));
        if (id !== undefined) this.progress.update(id, `Retrying in ${seconds} second${seconds === 1 ? '' : 's'}`);
        await sleep(delayMs, this.options.signal);
      }
    }
  }

  /** Pushes one layer; returns the descriptor the manifest lists for it. */
  private async pushLayer(layer: PlannedLayer, signal: AbortSignal, result: PushResult): Promise<Descriptor> {
    const id = shortId(layer.diffId);
    const source = layer.source;
    if (source.kind === 'remote') {
      this.progress.update(id, 'Layer already exists');
      result.skipped.push(source.descriptor.digest);
      return source.descriptor;
    }
    const known = source.kind === 'stored' ? source.descriptor : source.known;
    let session: string | undefined;
    if (known !== undefined) {
      if (await this.repo.hasBlob(known.digest, { signal })) {
        this.progress.update(id, 'Layer already exists');
        result.skipped.push(known.digest);
        return known;
      }
      for (const from of this.mountCandidates(layer.diffId)) {
        const start = await this.repo.startUpload({ mount: { digest: known.digest, from }, signal });
        if (start.kind === 'mounted') {
          this.progress.update(id, `Mounted from ${from}`);
          result.mounted.push(known.digest);
          return known;
        }
        session = start.location;
        break;
      }
    }
    let descriptor: Descriptor;
    if (source.kind === 'stored') {
      const content = this.target.content;
      descriptor = source.descriptor;
      await this.withRetries(async () => {
        const location = session;
        session = undefined;
        await this.uploadKnown(descriptor, () => content.createReadStream(descriptor.digest), id, signal, location);
      }, id);
    } else {
      descriptor = await this.withRetries(() => {
        const location = session;
        session = undefined;
        return this.compressAndUpload(source, id, signal, location);
      }, id);
    }
    this.progress.update(id, 'Pushed');
    result.uploaded.push({ digest: descriptor.digest, size: descriptor.size });
    return descriptor;
  }

  /** Uploads a blob whose digest and size are known, in one PUT or in PATCH chunks. */
  private async uploadKnown(descriptor: Descriptor, open: () => Readable, id: string | undefined, signal?: AbortSignal, location?: string): Promise<void> {
    let url = location ?? (await this.startSession(signal));
    const counted = (): Readable => {
      let done = 0;
      const source = open();
      return Readable.from((async function* (progress: ProgressReporter) {
        for await (const chunk of source) {
          done += (chunk as Buffer).length;
          if (id !== undefined) progress.bytes(id, 'Pushing', done, descriptor.size);
          yield chunk as Buffer;
        }
      })(this.progress));
    };
    const chunkSize = this.options.chunkSize;
    if (chunkSize === undefined || descriptor.size <= chunkSize) {
      await this.repo.finishUpload(url, descriptor.digest, counted, { size: descriptor.size, ...(signal ? { signal } : {}) });
      return;
    }
    let offset = 0;
    let pending: Buffer[] = [];
    let pendingSize = 0;
    const flush = async (): Promise<void> => {
      const chunk = Buffer.concat(pending, pendingSize);
      pending = [];
      pendingSize = 0;
      url = await this.repo.patchUpload(url, chunk, { start: offset, ...(signal ? { signal } : {}) });
      offset += chunk.length;
    };
    for await (const raw of counted()) {
      let chunk = raw as Buffer;
      while (chunk.length > 0) {
        const take = Math.min(chunk.length, chunkSize - pendingSize);
        pending.push(chunk.subarray(0, take));
        pendingSize += take;
        chunk = chunk.subarray(take);
        if (pendingSize === chunkSize) await flush();
      }
    }
    if (pendingSize > 0) await flush();
    await this.repo.finishUpload(url, descriptor.digest, undefined, signal ? { signal } : {});
  }

  private async startSession(signal?: AbortSignal): Promise<string> {
    const start = await this.repo.startUpload(signal ? { signal } : {});
    if (start.kind !== 'session') throw new StrataError('internal', 'upload started without a session');
    return start.location;
  }

  /**
   * Compresses a layer's tar with gzip while streaming it to the registry, hashing the
   * result (and keeping it in the content store when `keepCompressed`); records the blob
   * for the diff_id.
   */
  private async compressAndUpload(source: Extract<LayerSource, { kind: 'compress' }>, id: string, signal: AbortSignal, location?: string): Promise<Descriptor> {
    const url = location ?? (await this.startSession(signal));
    const tar = await this.target.layerTar({ diffId: source.diffId, chainId: source.chainId });
    // A tar regenerated from a snapshot can fail before the upload starts reading it; the
    // reader below still gets the error, but until then an error event with no listener
    // would end the process.
    tar.on('error', () => undefined);
    const tarHash = createHash('sha256');
    const blobHash = createHash('sha256');
    const writer = this.keep ? this.target.content.openWriter() : undefined;
    let tarBytes = 0;
    let size = 0;
    const progress = this.progress;
    const feeder = (async function* () {
      for await (const chunk of tar) {
        tarHash.update(chunk as Buffer);
        tarBytes += (chunk as Buffer).length;
        progress.bytes(id, 'Pushing', tarBytes, source.tarSize);
        yield chunk as Buffer;
      }
    })();
    let kept = writer;
    const body = Readable.from((async function* () {
      for await (const chunk of parallelGzip(feeder)) {
        blobHash.update(chunk);
        size += chunk.length;
        if (kept !== undefined && size > KEEP_PROBE_BYTES && size > tarBytes * KEEP_MAX_RATIO) {
          // Barely compressible: a copy would cost as much disk as the layer and save little
          // time (such blocks are stored, not deflated), so keep only the digest.
          kept.abort();
          kept = undefined;
        }
        kept?.write(chunk);
        yield chunk;
      }
    })());
    let committed = false;
    try {
      const next = await this.repo.patchUpload(url, body, { signal });
      const diffId = `sha256:${tarHash.digest('hex')}`;
      if (diffId !== source.diffId) throw dataLoss(`layer ${source.diffId}: its stored content hashes to ${diffId}; run \`strata system check\``);
      const digest: Digest = `sha256:${blobHash.digest('hex')}`;
      await this.repo.finishUpload(next, digest, undefined, { signal });
      const descriptor: Descriptor = { mediaType: MediaType.dockerLayerGzip, digest, size };
      const images = this.target.images;
      if (kept) {
        kept.commit({ digest, size });
        committed = true;
      }
      inTransaction(images.db, () => images.layers.addBlob({ diffId: source.diffId, digest, mediaType: descriptor.mediaType, size }));
      return descriptor;
    } catch (err) {
      body.destroy();
      tar.destroy();
      throw err;
    } finally {
      if (kept && !committed) kept.abort();
    }
  }
}

/** A manifest object with docker's field order (config and layers: mediaType, size, digest). */
function docOrder(doc: ImageManifest): Record<string, unknown> {
  const d = (x: Descriptor): Record<string, unknown> => ({ mediaType: x.mediaType, size: x.size, digest: x.digest });
  return { schemaVersion: doc.schemaVersion, mediaType: doc.mediaType, config: d(doc.config), layers: doc.layers.map(d) };
}
