/**
 * `load`: reads a docker-archive (as `docker save` writes it, with or without the OCI
 * files docker 25+ adds) or an OCI-layout tarball, plain or compressed, in one streaming
 * pass: every file is hashed into the content store as it arrives (the archive's
 * manifest usually comes last), and every would-be layer is measured on the way.
 * Images are recorded in one transaction at the end; on any error nothing is recorded and
 * the blobs this load added are removed again.
 */
import { createGunzip } from 'node:zlib';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { fromUntranslatedError, invalidArgument, isStrataError, StrataError } from '../errdefs/index.ts';
import type { ContentStore } from '../content/index.ts';
import { readTarEntries } from '../internal/tar/index.ts';
import { LeaseRecords } from '../metadata/index.ts';
import {
  asArray, asObject, asOptionalStringArray, asString, at, chainIds, digestHex, familiarString, hostPlatform, isDigest, MediaType,
  parseDigest, parseImageConfigBytes, parseJsonDocument, parseManifestBytes, parseReference, platformMatches, root,
  serializeManifest, withDefaultTag, type Descriptor, type Digest, type ImageManifest, type Platform, type Reference,
} from '../oci/index.ts';
import type { GarbageCollector } from '../gc/index.ts';
import { checkImageDepth, type ImageStore, type NewLayer } from '../images/index.ts';
import { sniffCompression } from '../diff/index.ts';
import { decoderVerdict, decompressed, gzipError, type Compression } from './decompress.ts';
import { LayerMeter, type LayerMeasure } from './layer-meter.ts';
import { dropUnrecorded } from './unrecorded.ts';

/** A layer the store must have extracted before the image that uses it is recorded. */
export interface LayerToUnpack {
  chainId: Digest;
  parent: Digest | undefined;
  diffId: Digest;
  blob: { digest: Digest; mediaType: string };
  /** This command measured the blob's diff_id as it stored it: extraction need not hash it again. */
  verified?: boolean;
}

/**
 * Extracts layers (bottom-up) and reports each snapshot it created through `created`, so a
 * failed load can remove them again. Given by the engine, which knows the snapshotter.
 */
export type LayerUnpacker = (layers: LayerToUnpack[], created: string[]) => Promise<void>;

/** Removes snapshots a failed operation created. */
export type SnapshotDiscarder = (chainIds: string[]) => void;

export interface LoadOptions {
  source: Readable;
  /** How to name the input in errors: the file name, or `stdin`. */
  sourceName: string;
  platform?: Platform;
  /** Stops the load (Ctrl-C): the input is no longer read, and what was written goes. */
  signal?: AbortSignal;
}

export interface LoadResult {
  /** What docker prints: `Loaded image: name:tag`, `Loaded image ID: sha256:…`, rename notes. */
  lines: string[];
  images: { id: Digest; tags: string[] }[];
}

interface ArchiveFile {
  digest: Digest;
  size: number;
  compression: Compression;
  measure?: LayerMeasure;
  measureError?: unknown;
}

interface PendingImage {
  config: Buffer;
  configDigest: Digest;
  layers: NewLayer[];
  manifest: { bytes: Buffer; mediaType: string };
  tags: Reference[];
  parent?: string;
}

const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;

/** Normalises an archive path; refuses one that climbs out of the archive. */
function archivePath(name: string, sourceName: string): string {
  const cleaned = posix.normalize(`/${name}`).slice(1).replace(/\/+$/, '');
  if (name.split('/').includes('..')) throw invalidArgument(`${sourceName}: archive entry "${name}" points outside the archive`);
  return cleaned;
}

/**
 * Measures a possibly compressed layer as its bytes pass: gzip is inflated on the fly
 * (node:zlib, asynchronously), plain tars are measured synchronously. zstd-compressed
 * entries are measured in a second pass from the store (rare in archives).
 */
class EntryMeter {
  private compression: Compression | undefined;
  private meter: LayerMeter | undefined;
  private gunzip: ReturnType<typeof createGunzip> | undefined;
  private failed: unknown;
  private gunzipDone: Promise<void> | undefined;

  /** @param storeHashes the entry's bytes are written to the content store, which hashes them. */
  constructor(private readonly storeHashes: boolean) {}

  async write(chunk: Buffer): Promise<void> {
    if (this.compression === undefined) {
      this.compression = sniffCompression(chunk);
      // A plain layer's bytes are its blob's: when the content store hashes them as it writes
      // the blob, that digest is the diff_id.
      if (this.compression === 'none') this.meter = new LayerMeter({ hash: !this.storeHashes });
      else if (this.compression === 'gzip') {
        this.meter = new LayerMeter();
        const meter = this.meter;
        const gunzip = createGunzip();
        this.gunzip = gunzip;
        gunzip.on('data', (c: Buffer) => meter.write(c));
        this.gunzipDone = new Promise((resolve) => {
          gunzip.on('end', resolve);
          gunzip.on('error', (err) => {
            this.failed = err;
            resolve();
          });
        });
      }
    }
    if (this.meter && this.compression === 'none') this.meter.write(chunk);
    else if (this.gunzip && this.failed === undefined) {
      if (!this.gunzip.write(chunk)) await new Promise((resolve) => this.gunzip?.once('drain', resolve));
    }
  }

  /** `digest` is the entry's blob digest (a plain layer's diff_id). */
  async end(digest: Digest): Promise<{ compression: Compression; measure?: LayerMeasure; error?: unknown }> {
    const compression = this.compression ?? 'none';
    if (this.gunzip) {
      this.gunzip.end();
      await this.gunzipDone;
    }
    if (this.failed !== undefined) return { compression, error: this.failed };
    if (!this.meter) return compression === 'none' ? { compression, measure: new LayerMeter().end() } : { compression };
    try {
      return { compression, measure: this.meter.end(compression === 'none' && this.storeHashes ? digest : undefined) };
    } catch (error) {
      return { compression, error };
    }
  }
}

export class ArchiveLoader {
  private readonly files = new Map<string, ArchiveFile>();
  private readonly links = new Map<string, string>();
  private readonly added = new Set<Digest>();
  private leaseId: string | undefined;

  constructor(
    private readonly images: ImageStore,
    private readonly content: ContentStore,
    private readonly gc: GarbageCollector,
    private readonly unpack?: { extract: LayerUnpacker; discard: SnapshotDiscarder },
  ) {}

  async load(options: LoadOptions): Promise<LoadResult> {
    const leases = new LeaseRecords(this.images.db);
    const leaseId = leases.create();
    this.leaseId = leaseId;
    const createdSnapshots: string[] = [];
    const writes = { leases, leaseId, gc: this.gc, images: this.images };
    let result: LoadResult;
    const stopReading = stopReadingOnAbort(options);
    try {
      await this.readArchive(options);
      const pending = this.planImages(options);
      if (this.unpack) {
        for (const image of pending) {
          options.signal?.throwIfAborted();
          const chains = chainIds(image.layers.map((l) => l.diffId));
          for (const chainId of chains) leases.add(leaseId, 'layer', chainId);
          await this.unpack.extract(image.layers.map((l, i) => ({
            chainId: chains[i] as Digest,
            parent: i === 0 ? undefined : chains[i - 1],
            diffId: l.diffId,
            blob: { digest: l.blob?.digest ?? l.diffId, mediaType: l.blob?.mediaType ?? MediaType.ociLayer },
            verified: true,
          })), createdSnapshots);
        }
      }
      options.signal?.throwIfAborted();
      result = this.record(pending);
    } catch (err) {
      dropUnrecorded({ ...writes, blobs: [...this.added], snapshots: { created: createdSnapshots, discard: this.unpack?.discard } });
      throw namingInput(err, options.sourceName, this.images.db.name);
    } finally {
      stopReading();
    }
    // The archive's other files (legacy json, manifest.json…) were stored on the way in.
    dropUnrecorded({ ...writes, blobs: [...this.added] });
    return result;
  }

  private async readArchive(options: LoadOptions): Promise<void> {
    const leases = new LeaseRecords(this.images.db);
    const { stream } = await decompressed(options.source, options.sourceName);
    try {
      await this.readEntries(stream, options, leases);
    } catch (err) {
      // Garbage from a damaged compressed block: the decoder's error names the real cause.
      if (isStrataError(err, 'invalid-argument')) throw (await decoderVerdict(stream)) ?? err;
      throw err;
    }
    // The archive's end comes before the decoder's own check (gzip's CRC, zstd's checksum):
    // garbage that still parsed as entries (inside a layer's bytes, say) is found here, and
    // named by the decoder rather than by what the garbage later breaks.
    const verdict = await decoderVerdict(stream);
    if (verdict !== undefined) throw verdict;
  }

  private async readEntries(stream: Readable, options: LoadOptions, leases: LeaseRecords): Promise<void> {
    let entries = 0;
    for await (const entry of readTarEntries(stream)) {
      entries++;
      const name = archivePath(entry.header.name, options.sourceName);
      const type = entry.header.type;
      if (type === 'symlink') {
        this.links.set(name, posix.normalize(posix.join(posix.dirname(name), entry.header.linkname)));
        continue;
      }
      if (type === 'hardlink') {
        this.links.set(name, archivePath(entry.header.linkname, options.sourceName));
        continue;
      }
      if (type !== 'file') continue;
      const blobMatch = BLOB_PATH.exec(name);
      const expected = blobMatch ? parseDigest(`sha256:${blobMatch[1]}`) : undefined;
      let info: { digest: Digest; size: number };
      if (expected !== undefined) {
        leases.add(this.leaseId as string, 'blob', expected);
      }
      const stored = expected !== undefined && this.content.has(expected);
      const meter = new EntryMeter(!stored);
      if (expected !== undefined && stored) {
        // Already stored: measure the bytes but don't write them again.
        let size = 0;
        for await (const chunk of entry.body) {
          size += chunk.length;
          await meter.write(chunk);
        }
        info = { digest: expected, size };
      } else {
        const writer = this.content.openWriter(expected ? { digest: expected, size: entry.header.size } : { size: entry.header.size });
        try {
          for await (const chunk of entry.body) {
            writer.write(chunk);
            await meter.write(chunk);
          }
        } catch (err) {
          // The archive's own errors (cut short) name the entry already.
          writer.abort();
          throw err;
        }
        try {
          const written = writer.commit();
          info = written;
          if (written.created) this.added.add(written.digest);
        } catch (err) {
          if (isStrataError(err, 'data-loss')) throw invalidArgument(`archive entry "${name}": ${err.message}`);
          throw err;
        }
        leases.add(this.leaseId as string, 'blob', info.digest);
      }
      const measured = await meter.end(info.digest);
      this.files.set(name, { digest: info.digest, size: info.size, compression: measured.compression, measure: measured.measure, measureError: measured.error });
    }
    if (entries === 0) throw invalidArgument('archive is empty');
  }

  private resolve(path: string, what: string): ArchiveFile {
    let current = path.replace(/^\.\//, '');
    for (let hops = 0; hops < 32; hops++) {
      const file = this.files.get(current);
      if (file) return file;
      const next = this.links.get(current);
      if (next === undefined) break;
      current = next;
    }
    throw invalidArgument(`invalid archive: ${what} "${path}" is not in the archive`);
  }

  private planImages(options: LoadOptions): PendingImage[] {
    if (this.files.has('manifest.json') || this.links.has('manifest.json')) return this.planDockerArchive(options);
    if (this.files.has('index.json')) return this.planOciLayout(options);
    if (this.files.has('repositories')) throw invalidArgument('archive is in the pre-1.10 docker format (no manifest.json); load it with an older docker and save it again');
    throw invalidArgument('invalid archive: it has neither manifest.json (docker save) nor index.json (OCI layout)');
  }

  private layerFromFile(file: ArchiveFile, expectedDiffId: Digest | undefined, index: number, path: string): NewLayer {
    if (!file.measure) {
      const failure = gzipError(file.measureError, `invalid archive: layer ${index} ("${path}")`);
      if (failure !== file.measureError) throw failure;
      const reason = file.measureError instanceof Error ? file.measureError.message : 'unreadable';
      throw invalidArgument(`invalid archive: layer ${index} ("${path}") is not a valid layer tar: ${reason}`);
    }
    if (expectedDiffId !== undefined && file.measure.diffId !== expectedDiffId) {
      throw invalidArgument(`invalid diffID for layer ${index}: expected "${expectedDiffId}", got "${file.measure.diffId}"`);
    }
    const mediaType = file.compression === 'gzip' ? MediaType.ociLayerGzip : file.compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
    return { diffId: file.measure.diffId, size: file.measure.size, tarSize: file.measure.tarSize, blob: { digest: file.digest, mediaType, size: file.size } };
  }

  private planDockerArchive(options: LoadOptions): PendingImage[] {
    const manifestFile = this.resolve('manifest.json', 'file');
    const doc = parseJsonDocument(this.content.readBytes(manifestFile.digest), 'manifest.json');
    const where = root('manifest.json');
    const items = asArray(doc, where);
    const ociManifests = this.ociManifestsByConfig();
    const out: PendingImage[] = [];
    items.forEach((item, i) => {
      const itemWhere = at(where, i);
      const obj = asObject(item, itemWhere);
      const configPath = asString(obj['Config'], at(itemWhere, 'Config'));
      const layerPaths = asArray(obj['Layers'], at(itemWhere, 'Layers')).map((l, j) => asString(l, at(at(itemWhere, 'Layers'), j)));
      const repoTags = asOptionalStringArray(obj['RepoTags'], at(itemWhere, 'RepoTags')) ?? [];
      const configFile = this.resolve(configPath, 'config');
      const configBytes = this.content.readBytes(configFile.digest);
      const config = parseImageConfigBytes(configBytes, `image config ${configPath}`);
      if (options.platform && !platformMatches(options.platform, { os: config.os, architecture: config.architecture, variant: config.variant })) return;
      if (config.rootfs.diff_ids.length !== layerPaths.length) {
        throw invalidArgument(`invalid manifest, layers length mismatch: expected ${layerPaths.length}, got ${config.rootfs.diff_ids.length}`);
      }
      checkImageDepth(layerPaths.length, `image ${repoTags[0] ?? configFile.digest} has`);
      const layers = layerPaths.map((p, j) => this.layerFromFile(this.resolve(p, 'layer'), config.rootfs.diff_ids[j], j, p));
      const tags = repoTags.map((t) => {
        const ref = parseReference(t);
        if (ref.tag === undefined || ref.digest !== undefined) throw invalidArgument(`invalid tag "${t}"`);
        return ref;
      });
      const own = ociManifests.get(configFile.digest);
      const manifest = own && own.layers.every((l, j) => l.digest === layers[j]?.blob?.digest)
        ? { bytes: this.content.readBytes(own.digest), mediaType: own.mediaType }
        : synthesizeManifest(configFile.digest, configBytes.length, layers);
      const parent = typeof obj['Parent'] === 'string' ? obj['Parent'] : undefined;
      out.push({ config: configBytes, configDigest: configFile.digest, layers, manifest, tags, ...(parent ? { parent } : {}) });
    });
    return out;
  }

  /** Manifests an archive's index.json lists (docker 25+ writes them beside manifest.json). */
  private ociManifestsByConfig(): Map<Digest, { digest: Digest; mediaType: string; layers: Descriptor[] }> {
    const out = new Map<Digest, { digest: Digest; mediaType: string; layers: Descriptor[] }>();
    const indexFile = this.files.get('index.json');
    if (!indexFile) return out;
    try {
      const parsed = parseManifestBytes(this.content.readBytes(indexFile.digest), 'index.json');
      if (parsed.kind !== 'index') return out;
      for (const d of parsed.index.manifests) {
        const file = this.files.get(`blobs/sha256/${digestHex(d.digest)}`);
        if (!file) continue;
        const m = parseManifestBytes(this.content.readBytes(file.digest), `manifest ${d.digest}`);
        if (m.kind === 'manifest') out.set(m.manifest.config.digest, { digest: d.digest, mediaType: m.manifest.mediaType, layers: m.manifest.layers });
      }
    } catch {
      // The docker-archive part is authoritative; a broken OCI side is ignored.
    }
    return out;
  }

  private planOciLayout(options: LoadOptions): PendingImage[] {
    const indexFile = this.resolve('index.json', 'file');
    const parsed = parseManifestBytes(this.content.readBytes(indexFile.digest), 'index.json');
    if (parsed.kind !== 'index') throw invalidArgument('index.json: expected an image index');
    const wanted = options.platform ?? hostPlatform();
    const byDigest = new Map<Digest, PendingImage>();
    const visit = (descriptor: Descriptor, names: Reference[], depth: number): void => {
      if (depth > 4) throw invalidArgument('index.json: indexes nested too deeply');
      const file = this.resolve(`blobs/sha256/${digestHex(descriptor.digest)}`, 'blob');
      const bytes = this.content.readBytes(file.digest);
      const doc = parseManifestBytes(bytes, `manifest ${descriptor.digest}`, descriptor.mediaType);
      if (doc.kind === 'index') {
        const candidates = doc.index.manifests.filter((m) => !m.platform || platformMatches(wanted, m.platform));
        const pick = candidates.find((m) => m.platform) ?? candidates[0];
        if (!pick) throw invalidArgument(`index ${descriptor.digest} has no manifest for platform ${wanted.os}/${wanted.architecture}`);
        visit(pick, names, depth + 1);
        return;
      }
      const existing = byDigest.get(file.digest);
      if (existing) {
        existing.tags.push(...names);
        return;
      }
      byDigest.set(file.digest, this.imageFromOciManifest(doc.manifest, bytes, names));
    };
    for (const descriptor of parsed.index.manifests) {
      const names: Reference[] = [];
      const full = descriptor.annotations?.['io.containerd.image.name'];
      const refName = descriptor.annotations?.['org.opencontainers.image.ref.name'];
      if (full) names.push(withDefaultTag(parseReference(full)));
      else if (refName && !refName.includes('/') && !refName.includes(':')) {
        // A bare tag has no repository to attach it to; docker ignores it too.
      } else if (refName) names.push(withDefaultTag(parseReference(refName)));
      if (descriptor.platform && !platformMatches(wanted, descriptor.platform)) continue;
      visit(descriptor, names, 0);
    }
    return [...byDigest.values()];
  }

  private imageFromOciManifest(manifest: ImageManifest, bytes: Buffer, tags: Reference[]): PendingImage {
    const configFile = this.resolve(`blobs/sha256/${digestHex(manifest.config.digest)}`, 'config');
    const configBytes = this.content.readBytes(configFile.digest);
    const config = parseImageConfigBytes(configBytes, `image config ${manifest.config.digest}`);
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw invalidArgument(`invalid manifest, layers length mismatch: expected ${manifest.layers.length}, got ${config.rootfs.diff_ids.length}`);
    }
    checkImageDepth(manifest.layers.length, `image ${tags[0] ? familiarString(withDefaultTag(tags[0])) : configFile.digest} has`);
    const layers = manifest.layers.map((l, j) => {
      const path = `blobs/sha256/${digestHex(l.digest)}`;
      const layer = this.layerFromFile(this.resolve(path, 'layer'), config.rootfs.diff_ids[j], j, path);
      return { ...layer, blob: { digest: l.digest, mediaType: l.mediaType, size: l.size } };
    });
    return { config: configBytes, configDigest: configFile.digest, layers, manifest: { bytes, mediaType: manifest.mediaType }, tags };
  }

  private record(pending: PendingImage[]): LoadResult {
    const lines: string[] = [];
    const images: { id: Digest; tags: string[] }[] = [];
    let idLines: string[] = [];
    let refCount = 0;
    // Manifests made up here are new blobs: stored first, so a failure below removes them too.
    for (const image of pending) {
      const manifest = this.content.writeBytes(image.manifest.bytes);
      if (manifest.created) this.added.add(manifest.digest);
      new LeaseRecords(this.images.db).add(this.leaseId as string, 'blob', manifest.digest);
    }
    this.images.batch(() => {
      for (const image of pending) {
        const created = this.images.create({ config: image.config, manifest: image.manifest, layers: image.layers });
        idLines.push(`Loaded image ID: ${created.id}`);
        refCount = 0;
        const tags: string[] = [];
        for (const tag of image.tags) {
          const previous = this.images.tag(tag, created.id);
          const familiar = familiarString(withDefaultTag(tag));
          if (previous !== undefined && previous !== created.id) {
            lines.push(`The image ${familiar} already exists, renaming the old one with ID ${previous} to empty string`);
          }
          lines.push(`Loaded image: ${familiar}`);
          tags.push(familiar);
          refCount++;
        }
        images.push({ id: created.id, tags });
      }
    });
    // docker prints the ID lines only when the last image loaded had no tags.
    if (refCount === 0) lines.push(...idLines);
    idLines = [];
    return { lines, images };
  }
}

/**
 * Until the returned function is called, an abort of `signal` destroys the input, so that a
 * read waiting on a slow stdin fails at once (with the abort's reason) and the command's
 * clean-up runs.
 */
export function stopReadingOnAbort(options: { source: Readable; signal?: AbortSignal }): () => void {
  const { source, signal } = options;
  if (signal === undefined) return () => undefined;
  const stop = (): void => {
    source.destroy(signal.reason as Error);
  };
  signal.addEventListener('abort', stop, { once: true });
  return () => signal.removeEventListener('abort', stop);
}

/** An OCI manifest for an image that came without one, over the blobs it was loaded with. */
function synthesizeManifest(configDigest: Digest, configSize: number, layers: NewLayer[]): { bytes: Buffer; mediaType: string } {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configSize },
    layers: layers.map((l) => ({ mediaType: l.blob?.mediaType ?? MediaType.ociLayer, digest: l.blob?.digest ?? l.diffId, size: l.blob?.size ?? l.tarSize })),
  };
  return { bytes: serializeManifest(manifest), mediaType: MediaType.ociManifest };
}

/**
 * Names the input in the message; bytes that don't match what they claim are bad input here.
 * A system error no module translated (SQLite's full disk under `databasePath`) is named too.
 */
export function namingInput(err: unknown, sourceName: string, databasePath?: string): unknown {
  if (!(err instanceof StrataError)) err = fromUntranslatedError(err, databasePath) ?? err;
  if (!(err instanceof StrataError)) return err;
  const code = err.code === 'data-loss' ? 'invalid-argument' : err.code;
  if (err.message.startsWith(sourceName) && code === err.code) return err;
  const message = err.message.startsWith(sourceName) ? err.message : `${sourceName}: ${err.message}`;
  return new StrataError(code, message, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
}

export { isDigest };
