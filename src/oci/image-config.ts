/**
 * The image configuration (the JSON whose digest is the image ID): runtime defaults,
 * the layer diff_ids and the history. OCI's fields plus Docker's extensions.
 */
import { invalidArgument } from '../errdefs/index.ts';
import { parseDigest, type Digest } from './digest.ts';
import {
  asArray, asBoolean, asInteger, asObject, asOptionalSet, asOptionalString, asOptionalStringArray, asOptionalStringMap,
  asString, at, fieldError, parseJsonDocument, root, type FieldPath, type JsonObject,
} from './json-fields.ts';

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The `config` object of an image: what a container of the image runs with by default. */
export interface ContainerDefaults {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: HealthConfig;
  OnBuild?: string[];
  Shell?: string[];
  /** Other fields docker's container.Config carries (Hostname, Tty, Image…), kept as read. */
  [extra: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ContainerDefaults;
  rootfs: { type: string; diff_ids: Digest[] };
  history?: HistoryEntry[];
  /** Docker's legacy fields: parent image ID (classic builder, commit), import comment, etc. */
  parent?: string;
  comment?: string;
  container?: string;
  container_config?: JsonObject;
  docker_version?: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function asOptionalTime(value: unknown, where: FieldPath): string | undefined {
  const text = asOptionalString(value, where);
  if (text !== undefined && !RFC3339.test(text)) throw fieldError(where, 'an RFC 3339 time', text);
  return text;
}

function readHealthcheck(value: unknown, where: FieldPath): HealthConfig {
  const obj = asObject(value, where);
  const hc: HealthConfig = {};
  const test = asOptionalStringArray(obj['Test'], at(where, 'Test'));
  if (test) hc.Test = test;
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    if (obj[key] !== undefined && obj[key] !== null) hc[key] = asInteger(obj[key], at(where, key));
  }
  return hc;
}

function readContainerDefaults(value: unknown, where: FieldPath): ContainerDefaults {
  const obj = asObject(value, where);
  const out: ContainerDefaults = { ...obj };
  const str = (key: string): void => {
    const v = asOptionalString(obj[key], at(where, key));
    if (v === undefined) delete out[key];
    else out[key] = v;
  };
  const strs = (key: string): void => {
    const v = asOptionalStringArray(obj[key], at(where, key));
    if (v === undefined) delete out[key];
    else out[key] = v;
  };
  str('User');
  str('WorkingDir');
  str('StopSignal');
  strs('Env');
  strs('Entrypoint');
  strs('Cmd');
  strs('OnBuild');
  strs('Shell');
  const exposed = asOptionalSet(obj['ExposedPorts'], at(where, 'ExposedPorts'));
  if (exposed) out.ExposedPorts = exposed;
  else delete out.ExposedPorts;
  const volumes = asOptionalSet(obj['Volumes'], at(where, 'Volumes'));
  if (volumes) out.Volumes = volumes;
  else delete out.Volumes;
  const labels = asOptionalStringMap(obj['Labels'], at(where, 'Labels'));
  if (labels) out.Labels = labels;
  else delete out.Labels;
  if (obj['ArgsEscaped'] !== undefined && obj['ArgsEscaped'] !== null) out.ArgsEscaped = asBoolean(obj['ArgsEscaped'], at(where, 'ArgsEscaped'));
  if (obj['Healthcheck'] !== undefined && obj['Healthcheck'] !== null) out.Healthcheck = readHealthcheck(obj['Healthcheck'], at(where, 'Healthcheck'));
  else delete out.Healthcheck;
  return out;
}

function readHistoryEntry(value: unknown, where: FieldPath): HistoryEntry {
  const obj = asObject(value, where);
  const entry: HistoryEntry = {};
  const created = asOptionalTime(obj['created'], at(where, 'created'));
  if (created !== undefined) entry.created = created;
  for (const key of ['created_by', 'author', 'comment'] as const) {
    const v = asOptionalString(obj[key], at(where, key));
    if (v !== undefined) entry[key] = v;
  }
  if (obj['empty_layer'] !== undefined && obj['empty_layer'] !== null) entry.empty_layer = asBoolean(obj['empty_layer'], at(where, 'empty_layer'));
  return entry;
}

/**
 * Reads and validates an image config. Every failure names the field.
 * @throws invalid-argument
 */
export function readImageConfig(value: unknown, document = 'image config'): ImageConfig {
  const where = root(document);
  const obj = asObject(value, where);
  const rootfsWhere = at(where, 'rootfs');
  const rootfs = asObject(obj['rootfs'], rootfsWhere);
  const type = asString(rootfs['type'], at(rootfsWhere, 'type'));
  if (type !== 'layers') throw fieldError(at(rootfsWhere, 'type'), '"layers"', type);
  const diffIdsWhere = at(rootfsWhere, 'diff_ids');
  const diffIds = rootfs['diff_ids'] === null || rootfs['diff_ids'] === undefined
    ? []
    : asArray(rootfs['diff_ids'], diffIdsWhere).map((d, i) => {
        const w = at(diffIdsWhere, i);
        return parseDigest(asString(d, w), `${document}: field "${w.path}"`);
      });
  const config: ImageConfig = {
    architecture: asString(obj['architecture'] ?? '', at(where, 'architecture')),
    os: asString(obj['os'] ?? '', at(where, 'os')),
    rootfs: { type, diff_ids: diffIds },
  };
  const created = asOptionalTime(obj['created'], at(where, 'created'));
  if (created !== undefined) config.created = created;
  for (const key of ['author', 'variant', 'os.version', 'parent', 'comment', 'container', 'docker_version'] as const) {
    const v = asOptionalString(obj[key], at(where, key));
    if (v !== undefined) config[key] = v;
  }
  const osFeatures = asOptionalStringArray(obj['os.features'], at(where, 'os.features'));
  if (osFeatures) config['os.features'] = osFeatures;
  if (obj['config'] !== undefined && obj['config'] !== null) config.config = readContainerDefaults(obj['config'], at(where, 'config'));
  if (obj['container_config'] !== undefined && obj['container_config'] !== null) {
    config.container_config = asObject(obj['container_config'], at(where, 'container_config'));
  }
  if (obj['history'] !== undefined && obj['history'] !== null) {
    const historyWhere = at(where, 'history');
    config.history = asArray(obj['history'], historyWhere).map((h, i) => readHistoryEntry(h, at(historyWhere, i)));
    const nonEmpty = config.history.filter((h) => !h.empty_layer).length;
    if (nonEmpty > diffIds.length) {
      throw invalidArgument(`${document}: field "history" has ${nonEmpty} non-empty layers but rootfs.diff_ids lists ${diffIds.length}`);
    }
  }
  return config;
}

export function parseImageConfigBytes(bytes: Buffer, document = 'image config'): ImageConfig {
  return readImageConfig(parseJsonDocument(bytes, document), document);
}

/**
 * Serialises a config strata created, in the OCI struct's field order, so the same
 * image always gets the same ID.
 */
export function serializeImageConfig(config: ImageConfig): Buffer {
  const ordered: Record<string, unknown> = {};
  const keys: (keyof ImageConfig)[] = [
    'created', 'author', 'architecture', 'os', 'os.version', 'os.features', 'variant', 'config', 'rootfs', 'history',
    'parent', 'comment', 'container', 'container_config', 'docker_version',
  ];
  for (const key of keys) if (config[key] !== undefined) ordered[key] = config[key];
  return Buffer.from(JSON.stringify(ordered));
}
