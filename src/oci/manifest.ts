/**
 * Image manifests and indexes, OCI and Docker schema 2 alike. Both families are read;
 * strata writes OCI unless a caller asks for Docker's form.
 */
import { invalidArgument } from '../errdefs/index.ts';
import { readDescriptor, type Descriptor } from './descriptor.ts';
import { asArray, asInteger, asObject, asOptionalStringMap, at, parseJsonDocument, root, type FieldPath } from './json-fields.ts';
import { isIndexMediaType, isManifestMediaType, isSchema1MediaType, MediaType } from './media-types.ts';

/** Registries and strata refuse manifests above this size, as containerd does. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

function checkSchemaVersion(obj: Record<string, unknown>, where: FieldPath): void {
  const version = asInteger(obj['schemaVersion'], at(where, 'schemaVersion'));
  if (version === 1) {
    throw invalidArgument(`${where.document}: schema 1 manifests are not supported (deprecated by docker); push the image again with a current client`);
  }
  if (version !== 2) throw invalidArgument(`${where.document}: unsupported schemaVersion ${version}`);
}

/** Tells a manifest from an index when the media type is missing (allowed in OCI). */
export function detectManifestKind(obj: Record<string, unknown>, declaredMediaType?: string): 'manifest' | 'index' {
  const mediaType = typeof obj['mediaType'] === 'string' ? obj['mediaType'] : declaredMediaType;
  if (mediaType !== undefined && isSchema1MediaType(mediaType)) return 'manifest';
  if (mediaType !== undefined && isIndexMediaType(mediaType)) return 'index';
  if (mediaType !== undefined && isManifestMediaType(mediaType)) return 'manifest';
  if (Array.isArray(obj['manifests'])) return 'index';
  return 'manifest';
}

export function readManifest(value: unknown, document = 'manifest'): ImageManifest {
  const where = root(document);
  const obj = asObject(value, where);
  checkSchemaVersion(obj, where);
  const mediaType = typeof obj['mediaType'] === 'string' ? obj['mediaType'] : MediaType.ociManifest;
  if (!isManifestMediaType(mediaType)) {
    throw invalidArgument(`${document}: field "mediaType" must be an image manifest type, got "${mediaType}"`);
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType,
    config: readDescriptor(obj['config'], at(where, 'config')),
    layers: asArray(obj['layers'], at(where, 'layers')).map((l, i) => readDescriptor(l, at(at(where, 'layers'), i))),
  };
  if (obj['subject'] !== undefined && obj['subject'] !== null) manifest.subject = readDescriptor(obj['subject'], at(where, 'subject'));
  const annotations = asOptionalStringMap(obj['annotations'], at(where, 'annotations'));
  if (annotations) manifest.annotations = annotations;
  if (typeof obj['artifactType'] === 'string') manifest.artifactType = obj['artifactType'];
  return manifest;
}

export function readIndex(value: unknown, document = 'index'): ImageIndex {
  const where = root(document);
  const obj = asObject(value, where);
  checkSchemaVersion(obj, where);
  const mediaType = typeof obj['mediaType'] === 'string' ? obj['mediaType'] : MediaType.ociIndex;
  if (!isIndexMediaType(mediaType)) {
    throw invalidArgument(`${document}: field "mediaType" must be an image index type, got "${mediaType}"`);
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType,
    manifests: asArray(obj['manifests'], at(where, 'manifests')).map((m, i) => readDescriptor(m, at(at(where, 'manifests'), i))),
  };
  if (obj['subject'] !== undefined && obj['subject'] !== null) index.subject = readDescriptor(obj['subject'], at(where, 'subject'));
  const annotations = asOptionalStringMap(obj['annotations'], at(where, 'annotations'));
  if (annotations) index.annotations = annotations;
  return index;
}

export type ParsedManifest = { kind: 'manifest'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

/** Parses manifest bytes of either kind and family. */
export function parseManifestBytes(bytes: Buffer, document = 'manifest', declaredMediaType?: string): ParsedManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw invalidArgument(`${document}: manifest is ${bytes.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
  }
  const value = parseJsonDocument(bytes, document);
  const obj = asObject(value, root(document));
  if (obj['schemaVersion'] === 1 || (declaredMediaType !== undefined && isSchema1MediaType(declaredMediaType))) {
    checkSchemaVersion({ schemaVersion: 1 }, root(document));
  }
  return detectManifestKind(obj, declaredMediaType) === 'index'
    ? { kind: 'index', index: readIndex(obj, document) }
    : { kind: 'manifest', manifest: readManifest(obj, document) };
}

/** Serialises a manifest or index as strata stores it: compact JSON, fields in spec order. */
export function serializeManifest(doc: ImageManifest | ImageIndex): Buffer {
  return Buffer.from(JSON.stringify(doc));
}
