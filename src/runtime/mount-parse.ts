/**
 * `-v`, `--mount` and `--tmpfs` strings parsed into one list of mount requests, with the
 * validation and messages of docker/cli and the daemon's Linux mount parser. Named and
 * anonymous volumes stay requests here; `containers/` resolves them to host directories
 * and turns every request into a `RuntimeMount` with `toRuntimeMount`.
 */
import { isAbsolute, posix, resolve } from 'node:path';
import { invalidArgument } from '../errdefs/index.ts';
import type { Propagation, RuntimeMount } from './run-options.ts';
import { parseRamBytes } from './units.ts';

export type MountRequest = BindRequest | VolumeRequest | TmpfsRequest;

export interface BindRequest {
  type: 'bind';
  source: string;
  target: string;
  readOnly: boolean;
  propagation: Propagation;
  /** `bind-recursive=disabled`: no mounts below the source. */
  nonRecursive: boolean;
  /** `bind-recursive=writable`: read-only at the top only (see `BindMount`). */
  readOnlyNonRecursive: boolean;
  /** `bind-recursive=readonly`: recursively read-only or an error. */
  readOnlyForceRecursive: boolean;
  /** `-v` creates a missing host directory (docker's legacy behaviour); `--mount` refuses it. */
  createSource: boolean;
  /** The `-v` mode string as given (`ro,z`), for inspect's `Mode`. */
  mode: string;
}

export interface VolumeRequest {
  type: 'volume';
  /** The volume name; undefined for an anonymous volume. */
  name?: string;
  target: string;
  readOnly: boolean;
  /** `nocopy`: don't fill a new volume from the image's content at the target. */
  noCopy: boolean;
  subpath?: string;
  driver?: string;
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
  mode: string;
}

export interface TmpfsRequest {
  type: 'tmpfs';
  target: string;
  readOnly: boolean;
  /** The tmpfs data string (`size=64m,mode=1777`) the spec merges with docker's defaults. */
  data: string;
}

const PROPAGATIONS: readonly Propagation[] = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const isPropagation = (s: string): s is Propagation => (PROPAGATIONS as readonly string[]).includes(s);
const LABEL_MODES = ['z', 'Z'];
const CONSISTENCY_MODES = ['consistent', 'cached', 'delegated'];
const COPY_MODES = ['nocopy'];

/** The daemon's linuxValidMountMode: each kind of mode at most once, nothing unknown. */
function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, propagation: 0, copy: 0, consistency: 0 };
  for (const o of mode.split(',')) {
    if (o === 'rw' || o === 'ro') counts.rw++;
    else if (LABEL_MODES.includes(o)) counts.label++;
    else if (isPropagation(o)) counts.propagation++;
    else if (COPY_MODES.includes(o)) counts.copy++;
    else if (CONSISTENCY_MODES.includes(o)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((n) => n <= 1);
}

function validateTarget(target: string): string | undefined {
  if (target === '') return 'field Target must not be empty';
  if (posix.normalize(target.replaceAll('\\', '/')) === '/') return "invalid specification: destination can't be '/'";
  if (!target.replaceAll('\\', '/').startsWith('/')) return `invalid mount path: '${target}' mount path must be absolute`;
  return undefined;
}

/** Go's path.Clean for absolute paths: normalized, no trailing slash. */
function cleanPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * The local volume driver's name rule.
 * @throws invalid-argument `"a/b" includes invalid characters for a local volume name, …`.
 */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw invalidArgument('volume name is too short, names should be at least two alphanumeric characters');
  if (!VOLUME_NAME.test(name)) {
    throw invalidArgument(`${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

/**
 * One `-v`/`--volume` value: `[SOURCE:]TARGET[:MODE]`. An absolute SOURCE (or one starting
 * with `.`, made absolute against `cwd`) is a bind mount; any other SOURCE is a volume
 * name; no SOURCE is an anonymous volume.
 * @throws invalid-argument with docker's messages (`invalid volume specification: '…'`,
 *   `invalid mode: …`, `invalid spec: …: empty section between colons`, bad volume names).
 */
export function parseVolumeFlag(raw: string, cwd: string = process.cwd()): MountRequest {
  if (raw === '') throw invalidArgument('invalid empty volume spec');
  // docker/cli's first pass: sections between colons must not be empty.
  if (raw.length > 2) {
    const sections = raw.split(':');
    if (sections.some((s) => s === '')) throw invalidArgument(`invalid spec: ${raw}: empty section between colons`);
    if (sections.length > 3) throw invalidArgument(`invalid spec: ${raw}: too many colons`);
  }
  let spec = raw;
  const colon = raw.indexOf(':');
  if (colon > 0 && raw.startsWith('.')) {
    spec = resolve(cwd, raw.slice(0, colon)) + raw.slice(colon);
  }
  const invalidSpec = `invalid volume specification: '${spec}'`;
  const arr = spec.split(':');
  if (arr.length > 3 || arr[0] === '') throw invalidArgument(invalidSpec);
  let source = '';
  let target: string;
  let mode = '';
  if (arr.length === 1) {
    target = arr[0] as string;
  } else if (arr.length === 2) {
    // `/foo:rw` is a target with a mode, which a volume can't have.
    if (validMountMode(arr[1] as string)) throw invalidArgument(invalidSpec);
    source = arr[0] as string;
    target = arr[1] as string;
  } else {
    source = arr[0] as string;
    target = arr[1] as string;
    mode = arr[2] as string;
  }
  if (!validMountMode(mode)) throw invalidArgument(`invalid mode: ${mode}`);
  const options = mode === '' ? [] : mode.split(',');
  const readOnly = options.includes('ro');
  const kind = isAbsolute(source) ? 'bind' : 'volume';
  const targetError = validateTarget(target);
  if (targetError !== undefined) throw invalidArgument(`${invalidSpec}: invalid mount config for type "${kind}": ${targetError}`);
  const cleanTarget = cleanPath(target);
  if (kind === 'bind') {
    return {
      type: 'bind', source: cleanPath(source), target: cleanTarget, readOnly,
      propagation: options.find(isPropagation) ?? 'rprivate', nonRecursive: false, readOnlyNonRecursive: false, readOnlyForceRecursive: false,
      createSource: true, mode,
    };
  }
  if (source !== '') validateVolumeName(source);
  const req: VolumeRequest = { type: 'volume', target: cleanTarget, readOnly, noCopy: options.includes('nocopy'), mode };
  if (source !== '') req.name = source;
  return req;
}

/** Splits a CSV record as Go's encoding/csv does for one line (quotes with "" escapes). */
function csvFields(value: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) throw invalidArgument(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
        const ch = value[i] as string;
        if (ch === '"') {
          if (value[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += ch;
        i++;
      }
      if (i < value.length && value[i] !== ',') {
        throw invalidArgument(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
      }
    } else {
      const end = value.indexOf(',', i);
      field = value.slice(i, end < 0 ? value.length : end);
      if (field.includes('"')) throw invalidArgument(`parse error on line 1, column ${i + field.indexOf('"') + 1}: bare " in non-quoted-field`);
      i = end < 0 ? value.length : end;
    }
    fields.push(field);
    if (i >= value.length) break;
    i++; // the comma
    if (i === value.length) { fields.push(''); break; }
  }
  return fields;
}

function parseBool(key: string, val: string, hasValue: boolean): boolean {
  if (!hasValue) return true;
  if (val === '1' || val === 'true') return true;
  if (val === '0' || val === 'false') return false;
  throw invalidArgument(`invalid value for '${key}': invalid boolean value (${JSON.stringify(val)}): must be one of "true", "1", "false", or "0" (default "true")`);
}

/**
 * One `--mount` value: comma-separated `key=value` fields (`type=bind|volume|tmpfs`,
 * `source`/`src`, `target`/`dst`/`destination`, `readonly`/`ro`, `bind-propagation`,
 * `bind-recursive`, `volume-nocopy`, `volume-subpath`, `volume-opt`, `volume-label`,
 * `volume-driver`, `tmpfs-size`, `tmpfs-mode`), validated as docker/cli and the daemon do.
 * @throws invalid-argument with docker's messages (`unknown option 'x' in 'x=1'`,
 *   `invalid mount config for type "bind": bind source path does not exist: /x`, …).
 */
export function parseMountFlag(raw: string, cwd: string = process.cwd(), exists: (path: string) => boolean = () => true): MountRequest {
  const value = raw.trim();
  if (value === '') throw invalidArgument('value is empty');
  let type = 'volume';
  let source = '';
  let target = '';
  let readOnly = false;
  let propagation: string | undefined;
  let nonRecursive = false;
  let readOnlyNonRecursive = false;
  let readOnlyForceRecursive = false;
  let createSource = false;
  let bindOpts = false;
  let volumeOpts = false;
  let tmpfsOpts = false;
  let noCopy = false;
  let subpath: string | undefined;
  let driver: string | undefined;
  const driverOptions: Record<string, string> = {};
  const labels: Record<string, string> = {};
  let sizeBytes: number | undefined;
  let fileMode: number | undefined;

  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const hasValue = eq >= 0;
    const rawKey = hasValue ? field.slice(0, eq) : field;
    const val = hasValue ? field.slice(eq + 1) : '';
    if (rawKey.trim() !== rawKey) throw invalidArgument(`invalid option '${rawKey.trim()}' in '${field}': option should not have whitespace`);
    if (hasValue) {
      if (val.trim() === '') throw invalidArgument(`invalid value for '${rawKey}': value is empty`);
      if (val.trim() !== val) throw invalidArgument(`invalid value for '${rawKey}' in '${field}': value should not have whitespace`);
    }
    const key = rawKey.toLowerCase();
    if (!hasValue && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-src'].includes(key)) {
      throw invalidArgument(`invalid field '${field}' must be a key=value pair`);
    }
    const setMap = (map: Record<string, string>): void => {
      const i = val.indexOf('=');
      const k = i < 0 ? val : val.slice(0, i);
      if (k !== '') map[k] = i < 0 ? '' : val.slice(i + 1);
    };
    switch (key) {
      case 'type': type = val.toLowerCase(); break;
      case 'source': case 'src':
        source = !isAbsolute(val) && val.startsWith('.') ? resolve(cwd, val) : val;
        break;
      case 'target': case 'dst': case 'destination': target = val; break;
      case 'readonly': case 'ro': readOnly = parseBool(key, val, hasValue); break;
      case 'consistency': break;
      case 'bind-propagation': bindOpts = true; propagation = val.toLowerCase(); break;
      case 'bind-nonrecursive': throw invalidArgument('bind-nonrecursive is deprecated, use bind-recursive=disabled instead');
      // Each value sets its own flag, as docker/cli does: conflicting ones are refused below.
      case 'bind-recursive':
        bindOpts = true;
        if (val === 'disabled') nonRecursive = true;
        else if (val === 'writable') readOnlyNonRecursive = true;
        else if (val === 'readonly') readOnlyForceRecursive = true;
        else if (val !== 'enabled') {
          throw invalidArgument(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        }
        break;
      case 'bind-create-src': bindOpts = true; createSource = parseBool(key, val, hasValue); break;
      case 'volume-subpath': volumeOpts = true; subpath = val; break;
      case 'volume-nocopy': volumeOpts = true; noCopy = parseBool(key, val, hasValue); break;
      case 'volume-label': volumeOpts = true; setMap(labels); break;
      case 'volume-driver': volumeOpts = true; driver = val; break;
      case 'volume-opt': volumeOpts = true; setMap(driverOptions); break;
      case 'tmpfs-size':
        tmpfsOpts = true;
        try { sizeBytes = parseRamBytes(val); } catch { throw invalidArgument(`invalid value for ${key}: ${val}`); }
        break;
      case 'tmpfs-mode':
        tmpfsOpts = true;
        if (!/^[0-7]+$/.test(val) || Number.parseInt(val, 8) > 0xffffffff) throw invalidArgument(`invalid value for ${key}: ${val}`);
        fileMode = Number.parseInt(val, 8);
        break;
      default: throw invalidArgument(`unknown option '${key}' in '${field}'`);
    }
  }

  if (type === '') throw invalidArgument('type is required');
  if (type !== 'bind' && bindOpts) throw invalidArgument(`cannot mix 'bind-*' options with mount type '${type}'`);
  if (type !== 'volume' && volumeOpts) throw invalidArgument(`cannot mix 'volume-*' options with mount type '${type}'`);
  if (type !== 'tmpfs' && tmpfsOpts) throw invalidArgument(`cannot mix 'tmpfs-*' options with mount type '${type}'`);

  const configError = (msg: string): Error => invalidArgument(`invalid mount config for type "${type}": ${msg}`);
  const targetError = validateTarget(target);
  if (targetError !== undefined) throw configError(targetError);
  const cleanTarget = cleanPath(target);
  switch (type) {
    case 'bind': {
      if (source === '') throw configError('field Source must not be empty');
      if (propagation !== undefined && !isPropagation(propagation)) throw configError(`invalid propagation mode: ${propagation}`);
      if (!isAbsolute(source)) throw configError(`invalid mount path: '${source}' mount path must be absolute`);
      if (!createSource && !exists(source)) throw configError(`bind source path does not exist: ${source}`);
      checkReadOnlyModes(readOnly, readOnlyNonRecursive, readOnlyForceRecursive);
      return {
        type: 'bind', source: cleanPath(source), target: cleanTarget, readOnly,
        propagation: (propagation as Propagation | undefined) ?? 'rprivate', nonRecursive, readOnlyNonRecursive, readOnlyForceRecursive, createSource, mode: '',
      };
    }
    case 'volume': {
      if (subpath !== undefined) {
        if (source === '') throw configError('must not set Subpath when using anonymous volumes');
        if (isAbsolute(subpath) || posix.normalize(subpath).split('/')[0] === '..') throw configError('subpath must be a relative path within the volume');
      }
      if (source !== '') validateVolumeName(source);
      const req: VolumeRequest = { type: 'volume', target: cleanTarget, readOnly, noCopy, mode: '' };
      if (source !== '') req.name = source;
      if (subpath !== undefined) req.subpath = subpath;
      if (driver !== undefined) req.driver = driver;
      if (Object.keys(driverOptions).length > 0) req.driverOptions = driverOptions;
      if (Object.keys(labels).length > 0) req.labels = labels;
      return req;
    }
    case 'tmpfs': {
      if (source !== '') throw configError('field Source must not be specified');
      return { type: 'tmpfs', target: cleanTarget, readOnly, data: tmpfsData(readOnly, fileMode, sizeBytes) };
    }
    default:
      throw configError('mount type unknown');
  }
}

/**
 * `bind-recursive=writable` and `=readonly` say how a read-only mount is read-only: they
 * need `readonly`, and exclude each other. The daemon's messages (docker checks at start;
 * strata before anything is created).
 * @throws invalid-argument `mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive`, ….
 */
function checkReadOnlyModes(readOnly: boolean, nonRecursive: boolean, forceRecursive: boolean): void {
  const hint = { hint: 'bind-recursive=writable and bind-recursive=readonly apply to a read-only mount (add readonly), one of them at a time' };
  if (!readOnly && nonRecursive) throw invalidArgument('mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive', hint);
  if (!readOnly && forceRecursive) throw invalidArgument('mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive', hint);
  if (nonRecursive && forceRecursive) throw invalidArgument('mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive', hint);
}

/** The daemon's ConvertTmpfsOptions: `ro`, `mode=` in octal, `size=` with the largest exact unit. */
function tmpfsData(readOnly: boolean, mode: number | undefined, size: number | undefined): string {
  const parts: string[] = [];
  if (readOnly) parts.push('ro');
  if (mode !== undefined && mode !== 0) parts.push(`mode=${mode.toString(8)}`);
  if (size !== undefined && size !== 0) {
    let text = String(size);
    for (const [suffix, div] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % div === 0) { text = `${size / div}${suffix}`; break; }
    }
    parts.push(`size=${text}`);
  }
  return parts.join(',');
}

/**
 * One `--tmpfs` value: `TARGET[:OPTIONS]`.
 * @throws invalid-argument for a relative or root target.
 */
export function parseTmpfsFlag(raw: string): TmpfsRequest {
  const colon = raw.indexOf(':');
  const target = colon < 0 ? raw : raw.slice(0, colon);
  const data = colon < 0 ? '' : raw.slice(colon + 1);
  const error = validateTarget(target);
  if (error !== undefined) throw invalidArgument(error);
  return { type: 'tmpfs', target: cleanPath(target), readOnly: data.split(',').includes('ro'), data };
}

/**
 * Rejects two mounts on one target, as the daemon does.
 * @throws invalid-argument `Duplicate mount point: /x`.
 */
export function checkDuplicateTargets(mounts: ReadonlyArray<{ target: string }>): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.target)) throw invalidArgument(`Duplicate mount point: ${m.target}`);
    seen.add(m.target);
  }
}

/**
 * The runtime mount for a request; a volume needs the host directory `containers/` chose
 * for it (plus the subpath, if any, already joined).
 */
export function toRuntimeMount(req: MountRequest, volumeHostPath?: string): RuntimeMount {
  switch (req.type) {
    case 'bind':
      return {
        type: 'bind', source: req.source, destination: req.target, readOnly: req.readOnly, propagation: req.propagation,
        ...(req.nonRecursive ? { nonRecursive: true } : {}),
        ...(req.readOnlyNonRecursive ? { readOnlyNonRecursive: true } : {}),
        ...(req.readOnlyForceRecursive ? { readOnlyForceRecursive: true } : {}),
      };
    case 'volume':
      if (volumeHostPath === undefined) throw invalidArgument(`volume for ${req.target} has no host directory`);
      return { type: 'bind', source: volumeHostPath, destination: req.target, readOnly: req.readOnly, propagation: 'rprivate' };
    case 'tmpfs':
      return { type: 'tmpfs', destination: req.target, data: req.data };
  }
}
