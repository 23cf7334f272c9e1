/**
 * An image to analyse, wherever it lives: in the store (by name or ID), or in an archive
 * file read in place (`docker-archive:PATH`, `oci:PATH`, as skopeo names them).
 */
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { invalidArgument, notFound } from '../errdefs/index.ts';
import { decompress } from '../diff/index.ts';
import {
  asArray, asObject, asString, at, chainIds, digestHex, familiarString, hostPlatform, parseReference, withDefaultTag, parseImageConfigBytes, parseJsonDocument, parseManifestBytes,
  platformMatches, root, sha256Of, type Descriptor, type Digest, type ImageConfig, type ImageManifest,
} from '../oci/index.ts';
import type { ImageStore } from '../images/index.ts';
import { openArchiveFiles, type ArchiveFiles } from './archive-files.ts';

export interface InputLayer {
  diffId: Digest;
  chainId: Digest;
  /** The layer's uncompressed tar. */
  open(): Promise<AsyncIterable<Uint8Array>>;
}

export interface ImageInput {
  ref: string;
  id: Digest;
  source: 'store' | 'docker-archive' | 'oci';
  config: ImageConfig;
  layers: InputLayer[];
  /** Layers of the store: verified when stored, cached by diff_id. Archive layers are neither. */
  inStore: boolean;
}

/** The store's image `ref`, its layers read through `layerTar`. @throws not-found `No such image: …` */
export function storeInput(images: ImageStore, ref: string, layerTar: (layer: { diffId: Digest; chainId: Digest }) => Promise<Readable>): ImageInput {
  const id = images.resolve(ref);
  const config = images.config(id);
  const chains = chainIds(config.rootfs.diff_ids);
  return {
    ref, id, source: 'store', config, inStore: true,
    layers: config.rootfs.diff_ids.map((diffId, i) => {
      const chainId = chains[i] as Digest;
      return { diffId, chainId, open: () => layerTar({ diffId, chainId }) };
    }),
  };
}

function blobName(digest: Digest): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

/** Layers in an archive may be compressed: each is decompressed as its magic bytes say. */
function archiveLayers(files: ArchiveFiles, config: ImageConfig, names: string[]): InputLayer[] {
  if (names.length !== config.rootfs.diff_ids.length) {
    throw invalidArgument(`${files.what}: the manifest lists ${names.length} layers, the config ${config.rootfs.diff_ids.length}`);
  }
  const chains = chainIds(config.rootfs.diff_ids);
  return names.map((name, i) => {
    if (!files.has(name)) throw invalidArgument(`${files.what}: layer ${name} is missing from the archive`);
    return {
      diffId: config.rootfs.diff_ids[i] as Digest,
      chainId: chains[i] as Digest,
      open: async () => (await decompress(files.stream(name))).stream,
    };
  });
}

function readConfig(files: ArchiveFiles, name: string, digest?: Digest): { config: ImageConfig; id: Digest } {
  const bytes = files.read(name);
  const id = sha256Of(bytes);
  if (digest !== undefined && id !== digest) throw invalidArgument(`${files.what}: config ${name} does not match its digest ${digest}`);
  return { config: parseImageConfigBytes(bytes, `${files.what}: ${name}`), id };
}

/** The familiar `name:tag` of a reference, or undefined when it is not one. */
function familiarTag(text: string): string | undefined {
  try {
    return familiarString(withDefaultTag(parseReference(text)));
  } catch {
    return undefined;
  }
}

/** The image of a docker-archive: the only one, or the one `wanted` (`name:tag`) names. */
function dockerArchiveInput(files: ArchiveFiles, ref: string, wanted: string | undefined): ImageInput {
  const doc = `${files.what}: manifest.json`;
  const list = asArray(parseJsonDocument(files.read('manifest.json'), doc), root(doc));
  if (list.length === 0) throw invalidArgument(`${doc}: it lists no image`);
  let index = 0;
  if (wanted !== undefined) {
    const name = familiarTag(wanted);
    index = list.findIndex((item) => {
      const tags = (item as { RepoTags?: unknown }).RepoTags;
      return Array.isArray(tags) && tags.some((t) => typeof t === 'string' && familiarTag(t) === name);
    });
    if (index < 0) throw notFound(`${files.what}: no image ${wanted} in the archive`);
  } else if (list.length > 1) {
    throw invalidArgument(`${doc}: it holds ${list.length} images: name one (docker-archive:PATH:NAME:TAG)`);
  }
  const entry = asObject(list[index], at(root(doc), index));
  const configName = asString(entry['Config'], at(at(root(doc), index), 'Config'));
  const layerNames = asArray(entry['Layers'], at(at(root(doc), index), 'Layers')).map((l, i) => asString(l, at(at(at(root(doc), index), 'Layers'), i)));
  const { config, id } = readConfig(files, configName);
  return { ref, id, source: 'docker-archive', config, inStore: false, layers: archiveLayers(files, config, layerNames) };
}

/** index.json → (an index for this platform →) a manifest. */
function ociManifest(files: ArchiveFiles): ImageManifest {
  let parsed = parseManifestBytes(files.read('index.json'), `${files.what}: index.json`);
  for (let depth = 0; parsed.kind === 'index'; depth++) {
    const manifests = parsed.index.manifests;
    const pick: Descriptor | undefined = manifests.find((m) => m.platform !== undefined && platformMatches(hostPlatform(), m.platform))
      ?? manifests.find((m) => m.platform === undefined);
    if (pick === undefined || depth > 4) throw invalidArgument(`${files.what}: no image for ${hostPlatform().os}/${hostPlatform().architecture} in its index`);
    parsed = parseManifestBytes(files.read(blobName(pick.digest)), `${files.what}: manifest ${pick.digest}`, pick.mediaType);
  }
  return parsed.manifest;
}

function ociInput(files: ArchiveFiles, ref: string): ImageInput {
  const manifest = ociManifest(files);
  const { config, id } = readConfig(files, blobName(manifest.config.digest), manifest.config.digest);
  return { ref, id, source: 'oci', config, inStore: false, layers: archiveLayers(files, config, manifest.layers.map((l) => blobName(l.digest))) };
}

/** `docker-archive:PATH` or `oci:PATH` (a layout directory or tar), or undefined for a store reference. */
export function archiveInput(ref: string): ImageInput | undefined {
  const m = /^(docker-archive|oci):(.+)$/.exec(ref);
  if (m === null) return undefined;
  const [, transport, spec] = m as unknown as [string, 'docker-archive' | 'oci', string];
  // skopeo's docker-archive:PATH:NAME[:TAG] picks one image of several.
  let path = spec;
  let wanted: string | undefined;
  const colon = spec.indexOf(':');
  if (transport === 'docker-archive' && colon > 0 && !existsSync(spec)) {
    path = spec.slice(0, colon);
    wanted = spec.slice(colon + 1);
  }
  const files = openArchiveFiles(path, `${transport}:${path}`);
  if (transport === 'docker-archive') {
    if (!files.has('manifest.json')) throw invalidArgument(`${files.what}: not a docker-archive: it has no manifest.json${files.has('index.json') ? ' (it is an OCI layout: use oci:PATH)' : ''}`);
    return dockerArchiveInput(files, ref, wanted);
  }
  if (!files.has('index.json')) throw invalidArgument(`${files.what}: not an OCI image layout: it has no index.json${files.has('manifest.json') ? ' (it is a docker-archive: use docker-archive:PATH)' : ''}`);
  return ociInput(files, ref);
}
