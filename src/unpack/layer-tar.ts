/**
 * The way back out: a layer's uncompressed tar, from a stored blob when one holds it, else
 * regenerated from its snapshot (layers built here keep no blob until they travel). Save and
 * push read layers through it.
 */
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { dataLoss } from '../errdefs/index.ts';
import { layerCompression, type Digest } from '../oci/index.ts';
import { decompress } from '../diff/index.ts';
import { layerTarOf } from '../snapshots/index.ts';
import type { ContentStore } from '../content/index.ts';
import type { LayerRecords } from '../metadata/index.ts';
import type { Snapshotter } from '../snapshots/snapshotter.ts';

/** Where a layer's tar can come from: its blobs (found through its records) or its snapshot. */
export interface LayerTarSources {
  content: ContentStore;
  layers: LayerRecords;
  snapshotter: Snapshotter;
}

/** The uncompressed tar of a layer. @throws data-loss when neither a blob nor a snapshot holds it */
export async function layerTar(sources: LayerTarSources, layer: { diffId: Digest; chainId?: Digest }): Promise<Readable> {
  const { content, snapshotter } = sources;
  const blobs = sources.layers.blobsOf(layer.diffId).filter((b) => content.has(b.digest as Digest));
  const plain = blobs.find((b) => layerCompression(b.mediaType) === 'none');
  if (plain) return content.createReadStream(plain.digest as Digest);
  const gzip = blobs.find((b) => layerCompression(b.mediaType) === 'gzip');
  if (gzip) return content.createReadStream(gzip.digest as Digest).pipe(createGunzip());
  const zstd = blobs.find((b) => layerCompression(b.mediaType) === 'zstd');
  if (zstd) return Readable.from((await decompress(content.createReadStream(zstd.digest as Digest))).stream, { objectMode: false });
  if (layer.chainId && snapshotter.stat(layer.chainId)) {
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    layerTarOf(snapshotter, layer.chainId, out).then(() => out.end(), (err: Error) => out.destroy(err));
    return out;
  }
  throw dataLoss(`layer ${layer.diffId}: no stored blob or snapshot holds it`);
}
