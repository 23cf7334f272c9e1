/**
 * Where image layers meet snapshots: extracting an image's layers (from their blobs) into
 * committed snapshots keyed by chain ID, regenerating a layer's tar from its snapshot when
 * no blob holds it, mounting an image read-only (`image mount`), and sweeping snapshots
 * nothing references any more.
 */
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { dataLoss, invalidArgument } from '../errdefs/index.ts';
import { chainIds, digestHex, layerCompression, type Digest } from '../oci/index.ts';
import { extractLayer, layerTarOf } from '../snapshots/index.ts';
import { isMountPoint, mountAll, unmountAll } from '../mount/index.ts';
import type { LayerToUnpack } from '../archive/index.ts';
import type { Engine } from './engine.ts';

/**
 * Extracts layers bottom-up, recording each snapshot it creates in `created`. How deep an
 * image may be was checked when it was made (images/image-depth.ts).
 */
export async function unpackLayers(engine: Engine, layers: LayerToUnpack[], created: string[]): Promise<void> {
  for (const layer of layers) {
    if (engine.snapshotter.stat(layer.chainId)) continue;
    const stats = await extractLayer(engine.snapshotter, {
      chainId: layer.chainId,
      ...(layer.parent ? { parent: layer.parent } : {}),
      expectedDiffId: layer.diffId,
      verified: layer.verified === true,
      // Read from the blob's file: an uncompressed layer then goes in with no copy (diff/apply.ts).
      source: { file: engine.content.blobFile(layer.blob.digest) },
    });
    if (stats) created.push(layer.chainId);
  }
}


/** Makes sure every layer of image `id` is extracted (images stored before their layers were). */
export async function ensureExtracted(engine: Engine, id: Digest): Promise<Digest[]> {
  const diffIds = engine.images.config(id).rootfs.diff_ids;
  const chains = chainIds(diffIds);
  const missing: LayerToUnpack[] = [];
  chains.forEach((chainId, i) => {
    if (engine.snapshotter.stat(chainId)) return;
    const diffId = diffIds[i] as Digest;
    const blob = engine.images.layers.blobsOf(diffId).find((b) => engine.content.has(b.digest as Digest));
    if (!blob) throw dataLoss(`image ${id}: layer ${diffId} is neither extracted nor stored as a blob`);
    missing.push({ chainId, parent: i === 0 ? undefined : chains[i - 1], diffId, blob: { digest: blob.digest as Digest, mediaType: blob.mediaType } });
  });
  if (missing.length > 0) await unpackLayers(engine, missing, []);
  return chains;
}

/**
 * The uncompressed tar of a layer: from a stored blob when one holds it, else regenerated
 * from its snapshot (layers built here keep no blob until they travel).
 */
export async function layerTar(engine: Engine, layer: { diffId: Digest; chainId?: Digest }): Promise<Readable> {
  const blobs = engine.images.layers.blobsOf(layer.diffId).filter((b) => engine.content.has(b.digest as Digest));
  const plain = blobs.find((b) => layerCompression(b.mediaType) === 'none');
  if (plain) return engine.content.createReadStream(plain.digest as Digest);
  const gzip = blobs.find((b) => layerCompression(b.mediaType) === 'gzip');
  if (gzip) return engine.content.createReadStream(gzip.digest as Digest).pipe(createGunzip());
  const zstd = blobs.find((b) => layerCompression(b.mediaType) === 'zstd');
  if (zstd) {
    const { decompressed } = await import('../archive/index.ts');
    return (await decompressed(engine.content.createReadStream(zstd.digest as Digest), `layer ${layer.diffId}`)).stream;
  }
  if (layer.chainId && engine.snapshotter.stat(layer.chainId)) {
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    layerTarOf(engine.snapshotter, layer.chainId, out).then(() => out.end(), (err: Error) => out.destroy(err));
    return out;
  }
  throw dataLoss(`layer ${layer.diffId}: no stored blob or snapshot holds it`);
}

function mountDir(engine: Engine, id: Digest): string {
  return join(engine.root, 'mounts', digestHex(id));
}

/** `image mount`: the image's union view, read-only; returns its path. Idempotent. */
export async function mountImage(engine: Engine, id: Digest): Promise<string> {
  const target = mountDir(engine, id);
  if (isMountPoint(target)) return target;
  const chains = await ensureExtracted(engine, id);
  const top = chains.at(-1);
  if (top === undefined) throw invalidArgument(`image ${id} has no layers to mount`);
  const key = `image-mount-${digestHex(id)}`;
  if (engine.snapshotter.stat(key)) engine.snapshotter.remove(key);
  const mounts = engine.snapshotter.view(key, top);
  mkdirSync(target, { recursive: true });
  try {
    mountAll(mounts, target);
  } catch (err) {
    engine.snapshotter.remove(key);
    throw err;
  }
  return target;
}

/** `image unmount`: undoes `image mount`. Returns false when it was not mounted. */
export function unmountImage(engine: Engine, id: Digest): boolean {
  const target = mountDir(engine, id);
  const key = `image-mount-${digestHex(id)}`;
  const was = isMountPoint(target);
  unmountAll(target);
  if (engine.snapshotter.stat(key)) engine.snapshotter.remove(key);
  if (existsSync(target)) rmdirSync(target);
  return was;
}

/** Image IDs whose union view is mounted now (these keep their layers alive). */
export function mountedImages(engine: Engine): Digest[] {
  return engine.snapshotter.walk()
    .filter((r) => r.key.startsWith('image-mount-'))
    .map((r) => `sha256:${r.key.slice('image-mount-'.length)}` as Digest);
}



