/**
 * `pull`: reference → manifest (or index → the manifest for the wanted platform) → config
 * and layers, stored and recorded as one image.
 *
 * How it keeps the store consistent and the network quiet:
 *   - a lease protects every blob and layer the pull relies on, taken before checking
 *     whether each exists, so a concurrent prune cannot remove them mid-pull;
 *   - a layer already present (its chain ID recorded and a blob holding it stored, or what
 *     the caller's `layerPresent` says) is not fetched: `Already exists`;
 *   - each blob streams into the content store, hashed as it arrives; it becomes visible
 *     only once its digest and size verify, and nothing else of it remains when they don't;
 *   - at the same time the bytes are decompressed into the caller's LayerSink (measure, or
 *     measure and unpack), so a layer is processed while it downloads;
 *   - a connection that breaks mid-blob is resumed with a Range request after a backoff;
 *   - a per-blob lock makes two pulls of one image (in one process or several) fetch each
 *     blob once: the second waits, then reads the stored blob;
 *   - the image, its tag and repo digest are recorded in one transaction at the end. When
 *     the pull fails, nothing is recorded; blobs that did verify stay in the content store
 *     (unreferenced, so the next garbage collection may take them) and a retry reuses them,
 *     unless the pull ran out of space: then what it wrote goes, to give the space back.
 */
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { dataLoss, invalidArgument, isOutOfSpace, isStrataError, notFound, StrataError } from '../errdefs/index.ts';
import type { ContentStore } from '../content/index.ts';
import { checkImageDepth, type ImageStore, type NewLayer } from '../images/index.ts';
import { LeaseRecords } from '../metadata/index.ts';
import {
  chainIds, familiarName, familiarString, formatPlatform, formatReference, hostPlatform, isSchema1MediaType, parseImageConfigBytes,
  parseManifestBytes, parseReference, platformMatches, shortId, withDefaultTag, type Descriptor, type Digest, type ImageConfig,
  type ImageIndex, type ImageManifest, type Platform, type Reference,
} from '../oci/index.ts';
import { allOrAbort, Limiter } from './concurrency.ts';
import { withFetchLock } from './fetch-lock.ts';
import { backoffDelay, isTransientNetworkError, readBody, sleep } from './http-transport.ts';
import { LayerDecoder } from './layer-decoder.ts';
import { measuringSink, type LayerSink, type LayerSinkFactory } from './layer-sink.ts';
import { openRegistries } from './open-registries.ts';
import { ProgressReporter, type ProgressListener } from './progress.ts';
import type { Registries } from './registry-client.ts';
import { RegistryResponseError } from './registry-errors.ts';
import { Repository } from './repository.ts';

/** What a pull needs of the engine (Engine satisfies it). */
export interface PullTarget {
  readonly content: ContentStore;
  readonly images: ImageStore;
  /** Where pulled layers go by default (the engine extracts them into snapshots). */
  layerSink?(): LayerSinkFactory;
  /** Whether a layer needs no download (the engine: its snapshot exists). */
  layerPresent?(layer: { chainId: Digest; diffId: Digest }): boolean;
  /**
   * After a pull that ran out of space: removes the `blobs` it stored and the snapshots of
   * `layers` that nothing but its lease `leaseId` references, and releases that lease, so
   * the space comes back. Never throws.
   */
  discardUnrecorded?(written: { leaseId: string; blobs: Digest[]; layers: Digest[] }): void;
}

export interface PullOptions {
  /** The clients to use (credentials, TLS, retries); default: `openRegistries()`, closed at the end. */
  registries?: Registries;
  /** The platform to pick from an index; the host's when omitted. */
  platform?: Platform;
  /** Pull every tag of the repository (`-a`). */
  allTags?: boolean;
  /** Layers fetched at once (`--max-concurrent-downloads`, default 3). */
  maxConcurrentDownloads?: number;
  onProgress?: ProgressListener;
  /** Receives each layer's uncompressed tar; default: measure only. */
  layerSink?: LayerSinkFactory;
  /** Whether a layer is present already; default: recorded and a blob holding it stored. */
  layerPresent?: (layer: { chainId: Digest; diffId: Digest }) => boolean;
  /** Directory for the per-blob fetch locks; default `<store root>/tmp/fetch-locks`. */
  lockDir?: string;
  signal?: AbortSignal;
}

export interface PulledImage {
  /** The reference as pulled (tag or digest), normalised. */
  reference: Reference;
  /** The image ID (config digest). */
  id: Digest;
  /** What docker prints after `Digest:` and records as RepoDigest: the index's digest when an index was pulled. */
  digest: Digest;
  /** The platform manifest's digest. */
  manifestDigest: Digest;
  /** False when the reference already named this image (`Image is up to date`). */
  updated: boolean;
  /** Blobs this pull fetched over the network, with their sizes. */
  fetched: { digest: Digest; size: number }[];
}

export interface PullResult {
  /** What was asked for: `docker.io/library/busybox:latest`, or the repository for `-a`. */
  reference: Reference;
  images: PulledImage[];
  /** True when any pulled reference changed (`Downloaded newer image`). */
  updated: boolean;
}

/**
 * Network reads arrive in 16–64 KiB pieces; the store's writer, the hash and zlib work
 * per call, so batching them to 1 MiB takes ~1 s of main-thread time off a 1 GiB pull
 * (measured: 16k zlib submissions and writes, and the garbage they leave).
 */
const BATCH_BYTES = 1024 * 1024;

async function* coalesced(source: AsyncIterable<unknown>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    pending.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= size) {
      yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, length);
      pending = [];
      length = 0;
    }
  }
  if (length > 0) yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, length);
}

/** docker's message for images with a schema 1 manifest. */
function schema1Error(ref: Reference): StrataError {
  return invalidArgument(
    'Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. '
    + `Suggest the author of ${formatReference(ref)} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. `
    + 'More information at https://docs.docker.com/go/deprecated-image-specs/',
  );
}

/** Turns a registry's answer to a manifest request into docker's pull errors. */
function translatePullError(err: unknown, ref: Reference): unknown {
  if (!(err instanceof RegistryResponseError)) return err;
  const first = err.items[0];
  if (first?.code === 'DENIED') {
    return new StrataError('permission-denied', `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${err.detail}`, { cause: err });
  }
  if (first?.code === 'MANIFEST_UNKNOWN' || (err.status === 404 && first?.code !== 'NAME_UNKNOWN')) {
    return notFound(`manifest for ${familiarString(ref)} not found: ${err.detail}`, { cause: err });
  }
  if (first?.code === 'NAME_UNKNOWN') return notFound(`repository ${familiarName(ref)} not found: ${err.detail}`, { cause: err });
  return err;
}

/** Picks the manifest for `wanted` from an index, preferring an exact variant match. */
export function selectPlatformManifest(index: ImageIndex, wanted: Platform): Descriptor | undefined {
  const images = index.manifests.filter((m) => m.platform === undefined || m.platform.os !== 'unknown');
  const matching = images.filter((m) => m.platform !== undefined && platformMatches(wanted, m.platform));
  const exact = matching.find((m) => (m.platform?.variant ?? '') === (wanted.variant ?? ''));
  return exact ?? matching[0] ?? (images.length === 1 && images[0]?.platform === undefined ? images[0] : undefined);
}

function defaultLayerPresent(target: PullTarget): (layer: { chainId: Digest; diffId: Digest }) => boolean {
  return ({ chainId, diffId }) => target.images.layers.get(chainId) !== undefined
    && target.images.layers.blobsOf(diffId).some((b) => target.content.has(b.digest as Digest));
}

/**
 * Pulls an image (or with `allTags` every tag of a repository) into the store.
 * @throws not-found (`manifest for x:y not found: …`), permission-denied, invalid-argument
 *   (bad manifest, schema 1, no matching platform, blob that fails verification),
 *   unavailable (registry unreachable after retries), canceled
 */
export async function pullImage(target: PullTarget, reference: string | Reference, options: PullOptions = {}): Promise<PullResult> {
  if (options.registries === undefined) {
    const registries = openRegistries();
    try {
      return await pullImage(target, reference, { ...options, registries });
    } finally {
      await registries.close();
    }
  }
  try {
    return await pullWith(target, reference, { ...options, registries: options.registries });
  } catch (err) {
    if (options.signal?.aborted) throw new StrataError('canceled', 'pull canceled', { cause: err });
    throw err;
  }
}

async function pullWith(target: PullTarget, reference: string | Reference, options: PullOptions & { registries: Registries }): Promise<PullResult> {
  let ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const progress = new ProgressReporter(options.onProgress);
  const client = options.registries.client(ref.domain);
  const repo = new Repository(client, ref.path);
  const puller = new Puller(target, repo, options, progress);
  if (options.allTags) {
    if (ref.tag !== undefined || ref.digest !== undefined) throw invalidArgument('tag can\'t be used with --all-tags/-a');
    const tags = await repo.listTags(options.signal ? { signal: options.signal } : {}).catch((err: unknown) => {
      throw translatePullError(err, ref);
    });
    const images: PulledImage[] = [];
    for (const tag of tags) images.push(await puller.pull({ ...ref, tag }));
    const updated = images.some((i) => i.updated);
    progress.message(`Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarName(ref)}`);
    return { reference: ref, images, updated };
  }
  ref = withDefaultTag(ref);
  const image = await puller.pull(ref);
  progress.message(`Status: ${image.updated ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(ref)}`);
  return { reference: ref, images: [image], updated: image.updated };
}

class Puller {
  private readonly leases: LeaseRecords;
  private readonly layerPresent: (layer: { chainId: Digest; diffId: Digest }) => boolean;
  private readonly sinkFactory: LayerSinkFactory;
  private readonly limiter: Limiter;
  private readonly lockDir: string;

  constructor(
    private readonly target: PullTarget,
    private readonly repo: Repository,
    private readonly options: PullOptions,
    private readonly progress: ProgressReporter,
  ) {
    this.leases = new LeaseRecords(target.images.db);
    this.layerPresent = options.layerPresent ?? (target.layerPresent ? (l) => target.layerPresent?.(l) ?? false : defaultLayerPresent(target));
    this.sinkFactory = options.layerSink ?? target.layerSink?.() ?? measuringSink;
    this.limiter = new Limiter(options.maxConcurrentDownloads ?? 3);
    this.lockDir = options.lockDir ?? join(dirname(target.content.root), 'tmp', 'fetch-locks');
  }

  private get signalOption(): { signal?: AbortSignal } {
    return this.options.signal ? { signal: this.options.signal } : {};
  }

  /** Pulls one tag or digest reference. */
  async pull(ref: Reference): Promise<PulledImage> {
    const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
    const familiar = familiarString(ref);
    const top = await this.repo.getManifest(tagOrDigest, { what: `manifest for ${familiar}`, ...this.signalOption })
      .catch((err: unknown) => {
        throw translatePullError(err, ref);
      });
    if (isSchema1MediaType(top.mediaType) || /"schemaVersion"\s*:\s*1\b/.test(top.bytes.toString('utf8', 0, 256))) throw schema1Error(ref);
    const parsedTop = parseManifestBytes(top.bytes, `manifest for ${familiar}`, top.mediaType || undefined);
    this.progress.message(`Pulling from ${ref.path}`, tagOrDigest);
    const explicit = this.options.platform !== undefined;
    const wanted = this.options.platform ?? hostPlatform();
    let manifest: ImageManifest;
    let manifestBytes = top.bytes;
    let manifestDigest = top.digest;
    let manifestMediaType = parsedTop.kind === 'manifest' ? parsedTop.manifest.mediaType : parsedTop.index.mediaType;
    if (parsedTop.kind === 'index') {
      const pick = selectPlatformManifest(parsedTop.index, wanted);
      if (!pick) throw notFound(`no matching manifest for ${formatPlatform(wanted)} in the manifest list entries`);
      const child = await this.repo.getManifest(pick.digest, { what: `manifest ${pick.digest} of ${familiar}`, ...this.signalOption })
        .catch((err: unknown) => {
          throw translatePullError(err, ref);
        });
      if (isSchema1MediaType(child.mediaType)) throw schema1Error(ref);
      const parsed = parseManifestBytes(child.bytes, `manifest ${pick.digest}`, child.mediaType || pick.mediaType);
      if (parsed.kind !== 'manifest') throw invalidArgument(`manifest ${pick.digest} of ${familiar}: an index inside an index is not supported`);
      manifest = parsed.manifest;
      manifestBytes = child.bytes;
      manifestDigest = child.digest;
      manifestMediaType = parsed.manifest.mediaType;
    } else {
      manifest = parsedTop.manifest;
    }
    return this.pullManifest(ref, { manifest, bytes: manifestBytes, digest: manifestDigest, mediaType: manifestMediaType }, top.digest, { wanted, explicit });
  }

  private async pullManifest(
    ref: Reference,
    m: { manifest: ImageManifest; bytes: Buffer; digest: Digest; mediaType: string },
    shownDigest: Digest,
    platform: { wanted: Platform; explicit: boolean },
  ): Promise<PulledImage> {
    // The manifest lists the layers: an image too deep to run is refused before anything is fetched.
    checkImageDepth(m.manifest.layers.length, `image ${familiarString(ref)} has`);
    const leaseId = this.leases.create();
    const fetched: { digest: Digest; size: number }[] = [];
    /** Blobs this pull stored besides those it fetched. */
    const made: Digest[] = [];
    let chains: Digest[] = [];
    try {
      const { manifest } = m;
      // Lease first, then look: a blob seen here cannot be collected before the image is recorded.
      this.leases.add(leaseId, 'blob', manifest.config.digest);
      for (const layer of manifest.layers) this.leases.add(leaseId, 'blob', layer.digest);
      const { config, configBytes } = await this.fetchConfig(manifest.config, ref, fetched);
      const diffIds = config.rootfs.diff_ids;
      if (diffIds.length !== manifest.layers.length) {
        throw invalidArgument(`invalid manifest, layers length mismatch: expected ${manifest.layers.length}, got ${diffIds.length}`);
      }
      const actual: Platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
      if (platform.explicit && config.os !== '' && !platformMatches(platform.wanted, actual)) {
        throw invalidArgument(`image with reference ${familiarString(ref)} was found but does not match the specified platform: wanted ${formatPlatform(platform.wanted)}, actual: ${formatPlatform(actual)}`);
      }
      chains = chainIds(diffIds);
      for (const chainId of chains) this.leases.add(leaseId, 'layer', chainId);
      const id = manifest.config.digest;
      const records = this.target.images.records;
      const previous = ref.digest !== undefined && ref.tag === undefined
        ? records.repoDigestTarget(`${ref.domain}/${ref.path}@${ref.digest}`)
        : records.tagTarget(formatReference(withDefaultTag({ domain: ref.domain, path: ref.path, ...(ref.tag ? { tag: ref.tag } : {}) })));
      const present = chains.map((chainId, i) => this.layerPresent({ chainId, diffId: diffIds[i] as Digest }));
      const imageComplete = records.get(id) !== undefined && present.every(Boolean);
      let layers: NewLayer[];
      if (imageComplete) {
        layers = chains.map((chainId, i) => this.existingLayer(chainId, diffIds[i] as Digest, manifest.layers[i] as Descriptor));
      } else {
        layers = await this.fetchLayers(manifest.layers, diffIds, chains, present, fetched);
      }
      const tags = ref.tag !== undefined && ref.digest === undefined ? [ref] : [];
      // Stored before the records, so that a failure to write them (a full disk) removes it too.
      const manifestBlob = this.target.content.writeBytes(m.bytes);
      if (manifestBlob.created) made.push(manifestBlob.digest);
      this.leases.add(leaseId, 'blob', manifestBlob.digest);
      // The lease ends with the records that replace it: a write of its own could find the disk full.
      this.target.images.batch(() => {
        this.target.images.create({
          config: configBytes,
          manifest: { bytes: m.bytes, mediaType: m.mediaType },
          layers,
          tags,
          repoDigests: [{ domain: ref.domain, path: ref.path, digest: shownDigest }],
        });
        this.leases.release(leaseId);
      });
      this.progress.message(`Digest: ${shownDigest}`);
      return { reference: ref, id, digest: shownDigest, manifestDigest: m.digest, updated: previous !== id, fetched };
    } catch (err) {
      // Verified blobs stay for a retry, except when they are what filled the disk.
      if (isOutOfSpace(err)) this.target.discardUnrecorded?.({ leaseId, blobs: [...fetched.map((f) => f.digest), ...made], layers: chains });
      try {
        this.leases.release(leaseId);
      } catch {
        // On a full disk: the pull's own error is the one to tell; a dead process's lease goes with the next collection.
      }
      throw err;
    }
  }

  private existingLayer(chainId: Digest, diffId: Digest, descriptor: Descriptor): NewLayer {
    const row = this.target.images.layers.get(chainId) ?? this.target.images.layers.anyWithDiffId(diffId);
    if (!row) throw dataLoss(`layer ${chainId} vanished while pulling; run \`strata system check\``);
    const layer: NewLayer = { diffId, size: row.size, tarSize: row.tarSize };
    if (this.target.content.has(descriptor.digest)) layer.blob = { digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size };
    return layer;
  }

  private async fetchConfig(descriptor: Descriptor, ref: Reference, fetched: { digest: Digest; size: number }[]): Promise<{ config: ImageConfig; configBytes: Buffer }> {
    const what = `image config ${descriptor.digest}`;
    if (descriptor.size > 64 * 1024 * 1024) throw invalidArgument(`${what} of ${familiarString(ref)} declares ${descriptor.size} bytes, over the 64 MiB limit`);
    const content = this.target.content;
    await withFetchLock(this.lockDir, descriptor.digest, async () => {
      const policy = this.repo.client.retryPolicy;
      let bytes: Buffer | undefined;
      for (let failures = 0; bytes === undefined; ) {
        const { body } = await this.repo.openBlob(descriptor.digest, { what, ...this.signalOption });
        try {
          bytes = await readBody(body, descriptor.size + 1, what);
        } catch (err) {
          if (!isTransientNetworkError(err) || ++failures >= policy.attempts) throw err;
          await sleep(backoffDelay(policy, failures), this.options.signal);
        }
      }
      try {
        content.writeBytes(bytes, { digest: descriptor.digest, size: descriptor.size });
      } catch (err) {
        if (isStrataError(err, 'data-loss')) throw invalidArgument(`image config verification failed for digest ${descriptor.digest}: ${err.message.replace(/^blob \S+:? ?/, '')}`);
        throw err;
      }
      fetched.push({ digest: descriptor.digest, size: descriptor.size });
    }, { stored: () => content.has(descriptor.digest), ...this.signalOption });
    const bytes = content.readBytes(descriptor.digest);
    return { config: parseImageConfigBytes(bytes, `${what} of ${familiarString(ref)}`), configBytes: bytes };
  }

  private async fetchLayers(
    descriptors: Descriptor[],
    diffIds: Digest[],
    chains: Digest[],
    present: boolean[],
    fetched: { digest: Digest; size: number }[],
  ): Promise<NewLayer[]> {
    const ids = descriptors.map((d) => shortId(d.digest));
    descriptors.forEach((_, i) => this.progress.update(ids[i] as string, present[i] ? 'Already exists' : 'Pulling fs layer'));
    let queued = 0;
    descriptors.forEach((_, i) => {
      if (present[i]) return;
      if (++queued > (this.options.maxConcurrentDownloads ?? 3)) this.progress.update(ids[i] as string, 'Waiting');
    });
    const controller = new AbortController();
    const outer = this.options.signal;
    const onOuterAbort = (): void => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      // The same blob may appear twice in one manifest; fetch it once.
      const inFlight = new Map<Digest, Promise<void>>();
      return await allOrAbort(descriptors.map((descriptor, i) => async (signal: AbortSignal): Promise<NewLayer> => {
        const chainId = chains[i] as Digest;
        const diffId = diffIds[i] as Digest;
        if (present[i]) return this.existingLayer(chainId, diffId, descriptor);
        const id = ids[i] as string;
        return this.limiter.run(async () => {
          const info = { index: i, diffId, chainId, descriptor, ...(i > 0 ? { parentChainId: chains[i - 1] as Digest } : {}) };
          // The sink is made before any wait (for another pull's fetch lock, or for the same
          // blob earlier in this manifest): a layer above may need to know this one is coming.
          const sink = this.sinkFactory(info);
          const earlier = inFlight.get(descriptor.digest);
          let measure;
          try {
            if (earlier === undefined) {
              const job = this.fetchLayer(descriptor, sink, id, signal, fetched);
              inFlight.set(descriptor.digest, job.then(() => undefined, () => undefined));
              measure = await job;
            } else {
              await earlier;
              measure = await this.processStoredLayer(descriptor, sink, id, signal);
            }
          } catch (err) {
            await sink.abort(err);
            throw err;
          }
          if (measure.diffId !== diffId) {
            throw invalidArgument(`layer ${i} (${descriptor.digest}): its content hashes to ${measure.diffId} but the image config says ${diffId}`);
          }
          this.progress.update(id, 'Pull complete');
          return { diffId, size: measure.size, tarSize: measure.tarSize, blob: { digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size } };
        });
      }), controller);
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }

  /** Fetches one layer blob over the network (or waits for another puller to) and feeds the sink. */
  private async fetchLayer(
    descriptor: Descriptor,
    sink: LayerSink,
    id: string,
    signal: AbortSignal,
    fetched: { digest: Digest; size: number }[],
  ): Promise<{ diffId: Digest; size: number; tarSize: number }> {
    const content = this.target.content;
    let measure: { diffId: Digest; size: number; tarSize: number } | undefined;
    const ranNetwork = await withFetchLock(this.lockDir, descriptor.digest, async () => {
      measure = await this.download(descriptor, sink, id, signal, fetched);
    }, { stored: () => content.has(descriptor.digest), onWait: () => this.progress.update(id, 'Waiting'), signal });
    if (ranNetwork && measure) return measure;
    return this.processStoredLayer(descriptor, sink, id, signal);
  }

  /**
   * Streams a blob from the registry into the content store and the sink at once; adds it to
   * `fetched` once stored, even if the sink fails after that.
   */
  private async download(
    descriptor: Descriptor,
    sink: LayerSink,
    id: string,
    signal: AbortSignal,
    fetched: { digest: Digest; size: number }[],
  ): Promise<{ diffId: Digest; size: number; tarSize: number }> {
    const what = `layer ${descriptor.digest}`;
    const writer = this.target.content.openWriter({ digest: descriptor.digest, size: descriptor.size });
    const decoder = new LayerDecoder(sink, what);
    const policy = this.repo.client.retryPolicy;
    let offset = 0;
    let decodeError: { error: unknown } | undefined;
    try {
      for (let failures = 0; ; ) {
        const { body, ranged } = await this.repo.openBlob(descriptor.digest, { offset, what, signal });
        let skip = ranged ? 0 : offset;
        try {
          for await (const raw of coalesced(body as Readable, BATCH_BYTES)) {
            let chunk = raw;
            if (skip > 0) {
              // The registry ignored the Range: drop what we have already.
              if (chunk.length <= skip) {
                skip -= chunk.length;
                continue;
              }
              chunk = chunk.subarray(skip);
              skip = 0;
            }
            writer.write(chunk);
            offset += chunk.length;
            this.progress.bytes(id, 'Downloading', offset, descriptor.size);
            if (decodeError === undefined) {
              try {
                await decoder.write(chunk);
              } catch (err) {
                // Keep hashing: when the blob does not match its digest, that is the story to tell.
                decodeError = { error: err };
              }
            }
          }
          break;
        } catch (err) {
          body.destroy();
          if (signal.aborted || !isTransientNetworkError(err) || ++failures >= policy.attempts) throw err;
          const delayMs = backoffDelay(policy, failures);
          const seconds = Math.max(1, Math.round(delayMs / 1000));
          this.progress.update(id, `Retrying in ${seconds} second${seconds === 1 ? '' : 's'}`);
          await sleep(delayMs, signal);
        }
      }
      this.progress.update(id, 'Verifying Checksum');
      try {
        writer.commit();
      } catch (err) {
        if (isStrataError(err, 'data-loss')) throw invalidArgument(`filesystem layer verification failed for digest ${descriptor.digest}: ${err.message.replace(/^blob \S+:? ?/, '')}`, { cause: err });
        throw err;
      }
      fetched.push({ digest: descriptor.digest, size: descriptor.size });
      if (decodeError !== undefined) throw decodeError.error;
      this.progress.update(id, 'Download complete');
      const measure = await decoder.end();
      this.progress.bytes(id, 'Extracting', descriptor.size, descriptor.size);
      return measure;
    } catch (err) {
      writer.abort();
      await decoder.abort(err);
      if (isStrataError(err, 'data-loss') && /longer than its declared size/.test(err.message)) {
        throw invalidArgument(`filesystem layer verification failed for digest ${descriptor.digest}: the registry sent more than the ${descriptor.size} bytes the manifest declares`, { cause: err });
      }
      throw err;
    }
  }

  /** Feeds the sink from a blob already in the content store (another pull fetched it). */
  private async processStoredLayer(descriptor: Descriptor, sink: LayerSink, id: string, signal: AbortSignal): Promise<{ diffId: Digest; size: number; tarSize: number }> {
    this.progress.update(id, 'Download complete');
    const decoder = new LayerDecoder(sink, `layer ${descriptor.digest}`);
    const stream = this.target.content.createReadStream(descriptor.digest);
    let done = 0;
    try {
      for await (const chunk of stream) {
        if (signal.aborted) throw new StrataError('canceled', 'pull canceled');
        done += (chunk as Buffer).length;
        await decoder.write(chunk as Buffer);
        this.progress.bytes(id, 'Extracting', done, descriptor.size);
      }
      return await decoder.end();
    } catch (err) {
      stream.destroy();
      await decoder.abort(err);
      throw err;
    }
  }
}
