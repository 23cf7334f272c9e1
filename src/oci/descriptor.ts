/** Content descriptors: the currency modules hand each other (media type, digest, size). */
import { parseDigest, type Digest } from './digest.ts';
import { asInteger, asObject, asOptionalStringArray, asOptionalStringMap, asString, at, type FieldPath } from './json-fields.ts';
import type { Platform } from './platform.ts';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export function readPlatform(value: unknown, where: FieldPath): Platform {
  const obj = asObject(value, where);
  const platform: Platform = {
    architecture: asString(obj['architecture'], at(where, 'architecture')),
    os: asString(obj['os'], at(where, 'os')),
  };
  if (obj['variant'] !== undefined) platform.variant = asString(obj['variant'], at(where, 'variant'));
  if (obj['os.version'] !== undefined) platform['os.version'] = asString(obj['os.version'], at(where, 'os.version'));
  const osFeatures = asOptionalStringArray(obj['os.features'], at(where, 'os.features'));
  if (osFeatures) platform['os.features'] = osFeatures;
  const features = asOptionalStringArray(obj['features'], at(where, 'features'));
  if (features) platform.features = features;
  return platform;
}

/** Reads and validates a descriptor object; every failure names its field. */
export function readDescriptor(value: unknown, where: FieldPath): Descriptor {
  const obj = asObject(value, where);
  const mediaType = asString(obj['mediaType'], at(where, 'mediaType'));
  const digestText = asString(obj['digest'], at(where, 'digest'));
  const digest = parseDigest(digestText, `${where.document}: field "${at(where, 'digest').path}"`);
  const size = asInteger(obj['size'], at(where, 'size'));
  const descriptor: Descriptor = { mediaType, digest, size };
  const urls = asOptionalStringArray(obj['urls'], at(where, 'urls'));
  if (urls) descriptor.urls = urls;
  const annotations = asOptionalStringMap(obj['annotations'], at(where, 'annotations'));
  if (annotations) descriptor.annotations = annotations;
  if (obj['platform'] !== undefined && obj['platform'] !== null) descriptor.platform = readPlatform(obj['platform'], at(where, 'platform'));
  if (typeof obj['artifactType'] === 'string') descriptor.artifactType = obj['artifactType'];
  return descriptor;
}
