/**
 * `import`: a root filesystem tarball (plain, gzip or zstd) becomes a one-layer image.
 * As docker does, the uncompressed tar itself is the layer: its digest is the diff_id.
 * One pass hashes it into the content store and measures it.
 */
import type { Readable } from 'node:stream';
import { invalidArgument, isStrataError } from '../errdefs/index.ts';
import type { ContentStore } from '../content/index.ts';
import { LeaseRecords } from '../metadata/index.ts';
import {
  hostPlatform, MediaType, sha256Of, nowRfc3339Nano, serializeImageConfig, serializeManifest, type ContainerDefaults, type Digest,
  type ImageConfig, type Platform, type Reference,
} from '../oci/index.ts';
import type { GarbageCollector } from '../gc/index.ts';
import type { ImageStore } from '../images/index.ts';
import { decoderVerdict, decompressed } from './decompress.ts';
import { LayerMeter } from './layer-meter.ts';
import { namingInput, stopReadingOnAbort, type LayerUnpacker, type SnapshotDiscarder } from './load.ts';
import { dropUnrecorded } from './unrecorded.ts';

export interface ImportOptions {
  source: Readable;
  sourceName: string;
  tag?: Reference;
  /** `--message`: the image's comment. */
  message?: string;
  /** `--change` instructions, already parsed, applied to the image's defaults. */
  applyChanges?: (defaults: ContainerDefaults) => ContainerDefaults;
  platform?: Platform;
  /** Extracts the layer into a snapshot before the image is recorded (from the engine). */
  unpack?: { extract: LayerUnpacker; discard: SnapshotDiscarder };
  /** Stops the import (Ctrl-C): the input is no longer read, and what was written goes. */
  signal?: AbortSignal;
}

export async function importTarball(store: ImageStore, content: ContentStore, gc: GarbageCollector, options: ImportOptions): Promise<Digest> {
  const leases = new LeaseRecords(store.db);
  const leaseId = leases.create();
  const written: Digest[] = [];
  const createdSnapshots: string[] = [];
  const writes = { leases, leaseId, gc, images: store };
  const stopReading = stopReadingOnAbort(options);
  try {
    const { stream } = await decompressed(options.source, options.sourceName);
    const writer = content.openWriter();
    // The writer hashes the same uncompressed bytes: its digest is the diff_id.
    const meter = new LayerMeter({ hash: false });
    try {
      for await (const chunk of stream) {
        writer.write(chunk as Buffer);
        meter.write(chunk as Buffer);
      }
    } catch (err) {
      writer.abort();
      // Garbage from a damaged compressed block: the decoder's error names the real cause.
      if (isStrataError(err, 'invalid-argument')) throw (await decoderVerdict(stream)) ?? err;
      throw err;
    }
    try {
      meter.validate();
    } catch (err) {
      writer.abort();
      throw invalidArgument(`${options.sourceName}: not a valid tar archive: ${(err as Error).message}`);
    }
    const blob = writer.commit();
    const measure = meter.end(blob.digest);
    if (blob.created) written.push(blob.digest);
    leases.add(leaseId, 'blob', blob.digest);
    leases.add(leaseId, 'layer', measure.diffId);
    options.signal?.throwIfAborted();
    await options.unpack?.extract([{ chainId: measure.diffId, parent: undefined, diffId: measure.diffId, blob: { digest: blob.digest, mediaType: MediaType.ociLayer }, verified: true }], createdSnapshots);

    const created = nowRfc3339Nano();
    const platform = options.platform ?? hostPlatform();
    const defaults = options.applyChanges ? options.applyChanges({}) : {};
    const config: ImageConfig = {
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: defaults,
      rootfs: { type: 'layers', diff_ids: [measure.diffId] },
      history: [{ created, ...(options.message ? { comment: options.message } : {}) }],
      ...(options.message ? { comment: options.message } : {}),
    };
    const configBytes = serializeImageConfig(config);
    const manifest = serializeManifest({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256Of(configBytes), size: configBytes.length },
      layers: [{ mediaType: MediaType.ociLayer, digest: blob.digest, size: blob.size }],
    });
    options.signal?.throwIfAborted();
    // Stored before the records, so a failure below removes them too.
    for (const bytes of [configBytes, manifest]) {
      const stored = content.writeBytes(bytes);
      if (stored.created) written.push(stored.digest);
      leases.add(leaseId, 'blob', stored.digest);
    }
    const result = store.create({
      config: configBytes,
      manifest: { bytes: manifest, mediaType: MediaType.ociManifest },
      layers: [{ diffId: measure.diffId, size: measure.size, tarSize: measure.tarSize, blob: { digest: blob.digest, mediaType: MediaType.ociLayer, size: blob.size } }],
      ...(options.tag ? { tags: [options.tag] } : {}),
    });
    dropUnrecorded({ ...writes, blobs: [] });
    return result.id;
  } catch (err) {
    dropUnrecorded({ ...writes, blobs: written, snapshots: { created: createdSnapshots, discard: options.unpack?.discard } });
    throw namingInput(err, options.sourceName, store.db.name);
  } finally {
    stopReading();
  }
}
