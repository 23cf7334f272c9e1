/**
 * `save`: writes images as a docker-archive that is also a valid OCI image layout, as
 * docker 25+ does: `blobs/sha256/…` (configs, uncompressed layer tars, OCI manifests),
 * `index.json`, `oci-layout`, `manifest.json` and `repositories`. Streams straight to the
 * output — every layer's size is known from its record, so nothing is staged on disk —
 * and a layer shared by several images is written once. Each layer's bytes are hashed on
 * the way and must match its diff_id.
 */
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { dataLoss, invalidArgument } from '../errdefs/index.ts';
import { TarWriter } from '../internal/tar/index.ts';
import {
  chainIds, digestHex, familiarName, familiarString, formatReference, MediaType, parseReference, serializeManifest,
  withDefaultTag, type Descriptor, type Digest, type ImageManifest, type Reference,
} from '../oci/index.ts';
import type { ImageStore } from '../images/index.ts';

/** Gives the uncompressed tar of a layer (from a stored blob, or regenerated from its snapshot). */
export type LayerTarSource = (layer: { diffId: Digest; chainId: Digest; tarSize: number }) => Promise<Readable>;

export interface SaveOptions {
  /** What the user typed: names (all tags of a repository when untagged), name:tag, or IDs. */
  refs: string[];
  output: Writable;
  layerTar: LayerTarSource;
}

interface SavedImage {
  id: Digest;
  tags: Reference[];
}

/** docker's rules: `repo` alone saves every tag of it, `repo:tag` that tag, an ID no tag. */
function selectImages(store: ImageStore, refs: string[]): SavedImage[] {
  const byId = new Map<Digest, SavedImage>();
  const add = (id: Digest, tag?: Reference): void => {
    let entry = byId.get(id);
    if (!entry) byId.set(id, (entry = { id, tags: [] }));
    if (tag && !entry.tags.some((t) => formatReference(t) === formatReference(tag))) entry.tags.push(tag);
  };
  for (const text of refs) {
    let ref: Reference | undefined;
    try {
      ref = /^(sha256:)?[a-f0-9]{64}$/.test(text) ? undefined : parseReference(text);
    } catch {
      ref = undefined;
    }
    if (ref !== undefined && ref.digest === undefined && ref.tag === undefined) {
      // A bare repository name saves every tag of it.
      const repo = `${ref.domain}/${ref.path}:`;
      const tags = store.records.allTags().filter((t) => t.name.startsWith(repo));
      if (tags.length > 0) {
        for (const t of tags) add(t.imageId as Digest, parseReference(t.name));
        continue;
      }
    }
    const id = store.resolve(text);
    const namedTag = ref !== undefined && ref.digest === undefined && store.records.tagTarget(formatReference(withDefaultTag(ref))) === id;
    add(id, namedTag && ref ? withDefaultTag(ref) : undefined);
  }
  return [...byId.values()];
}

const EPOCH = 0;

export async function saveImages(store: ImageStore, options: SaveOptions): Promise<void> {
  if (options.refs.length === 0) throw invalidArgument('"save" requires at least 1 argument');
  const images = selectImages(store, options.refs);
  // Gather everything first: the archive's directory entries come before the files.
  const blobs = new Map<string, { kind: 'bytes'; data: Buffer } | { kind: 'layer'; diffId: Digest; chainId: Digest; tarSize: number }>();
  const manifestItems: Record<string, unknown>[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const indexEntries: Descriptor[] = [];
  for (const image of images) {
    const config = store.config(image.id);
    const configBytes = store.configBytes(image.id);
    blobs.set(digestHex(image.id), { kind: 'bytes', data: configBytes });
    const chains = chainIds(config.rootfs.diff_ids);
    const layerDescriptors: Descriptor[] = [];
    const layerSources: Record<string, { mediaType: string; size: number; digest: string }> = {};
    config.rootfs.diff_ids.forEach((diffId, i) => {
      const chainId = chains[i] as Digest;
      const row = store.layers.get(chainId);
      if (!row) throw dataLoss(`image ${image.id}: layer ${chainId} is missing from the store; run \`strata system check\``);
      blobs.set(digestHex(diffId), { kind: 'layer', diffId, chainId, tarSize: row.tarSize });
      layerDescriptors.push({ mediaType: MediaType.ociLayer, digest: diffId, size: row.tarSize });
      layerSources[diffId] = { mediaType: MediaType.ociLayer, size: row.tarSize, digest: diffId };
    });
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: image.id, size: configBytes.length },
      layers: layerDescriptors,
    };
    const manifestBytes = serializeManifest(manifest);
    const manifestDigest: Digest = `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`;
    blobs.set(digestHex(manifestDigest), { kind: 'bytes', data: manifestBytes });
    const untagged: Descriptor = { mediaType: MediaType.ociManifest, digest: manifestDigest, size: manifestBytes.length };
    const repoTags: string[] = [];
    for (const tag of image.tags) {
      const tagged = withDefaultTag(tag);
      repoTags.push(familiarString(tagged));
      const name = familiarName(tagged);
      repositories[name] = { ...(repositories[name] ?? {}), [tagged.tag as string]: digestHex(config.rootfs.diff_ids.at(-1) ?? image.id) };
      indexEntries.push({ ...untagged, annotations: { 'io.containerd.image.name': formatReference(tagged), 'org.opencontainers.image.ref.name': tagged.tag as string } });
    }
    if (image.tags.length === 0) indexEntries.push(untagged);
    manifestItems.push({
      Config: `blobs/sha256/${digestHex(image.id)}`,
      RepoTags: repoTags.length > 0 ? repoTags : null,
      Layers: config.rootfs.diff_ids.map((d) => `blobs/sha256/${digestHex(d)}`),
      ...(Object.keys(layerSources).length > 0 ? { LayerSources: sortKeys(layerSources) } : {}),
    });
  }

  const writer = new TarWriter(options.output);
  const dir = (name: string): Promise<void> => writer.add({ name, type: 'directory', mode: 0o755, mtime: EPOCH });
  const file = (name: string, data: Buffer): Promise<void> => writer.add({ name, type: 'file', mode: 0o644, size: data.length, mtime: EPOCH }, data);
  await dir('blobs/');
  await dir('blobs/sha256/');
  for (const hex of [...blobs.keys()].sort()) {
    const blob = blobs.get(hex);
    if (!blob) continue;
    const name = `blobs/sha256/${hex}`;
    if (blob.kind === 'bytes') {
      await file(name, blob.data);
      continue;
    }
    await writer.writeHeader({ name, type: 'file', mode: 0o644, size: blob.tarSize, mtime: EPOCH });
    const hash = createHash('sha256');
    const source = await options.layerTar(blob);
    for await (const chunk of source) {
      hash.update(chunk as Buffer);
      await writer.writeData(chunk as Buffer);
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== blob.diffId) throw dataLoss(`layer ${blob.diffId}: its stored content hashes to ${actual}; run \`strata system check\``);
    await writer.endEntry();
  }
  await file('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: indexEntries })));
  await file('manifest.json', Buffer.from(`${JSON.stringify(manifestItems)}\n`));
  await file('oci-layout', Buffer.from('{"imageLayoutVersion": "1.0.0"}'));
  if (Object.keys(repositories).length > 0) await file('repositories', Buffer.from(`${JSON.stringify(sortKeys(repositories))}\n`));
  await writer.finish();
}

function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
