/**
 * `RUN --mount=…` and `RUN --device=…` values, parsed with BuildKit's rules and messages.
 *
 * A mount spec is a CSV list of `key=value` fields. BuildKit parses it twice: leniently when
 * the Dockerfile is read (only the CSV syntax and `from=` are checked, since values may still
 * hold variables), and strictly once the values are expanded in the stage's environment.
 * `parseRunMount` is the strict parse; give it an `expand` function to expand each value.
 */
import { quoteString } from '@strata/go-template';
import { DetailError, withSuggestion } from './errors.ts';
import { parseGoBool, parseGoUint } from './go-format.ts';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const ALL_KEYS = [
  'type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid',
  'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env',
];

/** A `RUN --mount` after parsing. Empty strings mean "not given". */
export interface RunMount {
  type: MountType;
  /** `from=`: a stage name, stage index or image for bind and cache mounts. */
  from: string;
  source: string;
  target: string;
  readOnly: boolean;
  /** tmpfs `size=` in bytes; 0 when not given. */
  sizeLimit: number;
  /** `id=`: cache id, or secret id. */
  id: string;
  /** Cache sharing mode; undefined when not given (the solver's default is `shared`). */
  sharing: CacheSharing | undefined;
  /** Secret and ssh mounts: fail when the secret or agent is missing. */
  required: boolean;
  /** Secret mounts: the environment variable to expose the secret as (`env=`). */
  env: string | undefined;
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
}

/** Go's csv parsing of one record, as BuildKit's csvvalue.Fields does it. */
export function splitCsvFields(input: string): string[] {
  let line = input;
  if (line.endsWith('\r\n')) line = line.slice(0, -2);
  else if (line.endsWith('\n')) line = line.slice(0, -1);
  if (line === '') throw new DetailError('EOF');
  const out: string[] = [];
  let pos = 0;
  const err = (at: number, why: string): DetailError =>
    new DetailError(`parse error on line 1, column ${at + 1}: ${why}`);
  for (;;) {
    if (line === '' || line[0] !== '"') {
      const i = line.indexOf(',');
      const field = i >= 0 ? line.slice(0, i) : line;
      const q = field.indexOf('"');
      if (q >= 0) throw err(pos + q, 'bare " in non-quoted-field');
      out.push(field);
      if (i >= 0) {
        line = line.slice(i + 1);
        pos += i + 1;
        continue;
      }
      return out;
    }
    line = line.slice(1);
    pos += 1;
    let halfOpen = false;
    for (;;) {
      const i = line.indexOf('"');
      if (i < 0) throw err(pos, 'extraneous or missing " in quoted-field');
      if (!halfOpen) out.push(line.slice(0, i));
      else out[out.length - 1] += line.slice(0, i);
      line = line.slice(i + 1);
      pos += i + 1;
      if (line[0] === '"') {
        out[out.length - 1] += '"';
        line = line.slice(1);
        pos += 1;
        halfOpen = true;
      } else if (line[0] === ',') {
        line = line.slice(1);
        pos += 1;
        break;
      } else if (line === '') {
        return out;
      } else {
        throw err(pos - 1, 'extraneous or missing " in quoted-field');
      }
    }
  }
}

/**
 * The lenient parse BuildKit does when reading the Dockerfile: the CSV must be valid and
 * `from=` may not use variables.
 */
export function checkRunMountSyntax(spec: string): void {
  const fields = csv(spec, 'mounts');
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    const key = field.slice(0, eq).toLowerCase();
    const value = field.slice(eq + 1);
    if (key === 'from') {
      const idx = value.indexOf('$');
      if (idx !== -1 && idx !== value.length - 1) {
        throw new DetailError(`'${key}' doesn't support variable expansion, define alias stage instead`);
      }
    }
  }
}

function csv(spec: string, what: string): string[] {
  try {
    return splitCsvFields(spec);
  } catch (err) {
    throw new DetailError(`failed to parse csv ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Parses and validates one `--mount` value; `expand` is applied to every `key=value` value. */
export function parseRunMount(spec: string, expand: (value: string) => string = (v) => v): RunMount {
  const fields = csv(spec, 'mounts');
  const m: RunMount = {
    type: 'bind', from: '', source: '', target: '', readOnly: false, sizeLimit: 0, id: '',
    sharing: undefined, required: false, env: undefined, mode: undefined, uid: undefined, gid: undefined,
  };
  let roAuto = true;
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      switch (key) {
        case 'readonly':
        case 'ro':
          m.readOnly = true;
          roAuto = false;
          continue;
        case 'readwrite':
        case 'rw':
          m.readOnly = false;
          roAuto = false;
          continue;
        case 'required':
          if (m.type === 'secret' || m.type === 'ssh') {
            m.required = true;
            continue;
          }
          throw new DetailError(`unexpected key '${key}' for mount type '${m.type}'`);
        default:
          throw new DetailError(`invalid field '${field}' must be a key=value pair`);
      }
    }
    const value = expand(field.slice(eq + 1));
    const bool = (): boolean => {
      const b = parseGoBool(value);
      if (b === undefined) throw new DetailError(`invalid value for ${key}: ${value}`);
      return b;
    };
    switch (key) {
      case 'type': {
        const t = value.toLowerCase();
        if (!(MOUNT_TYPES as readonly string[]).includes(t)) {
          throw new DetailError(withSuggestion(`unsupported mount type ${quoteString(value)}`, value, MOUNT_TYPES, true));
        }
        m.type = t as MountType;
        break;
      }
      case 'from':
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro':
        m.readOnly = bool();
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readOnly = !bool();
        roAuto = false;
        break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') {
          throw new DetailError(`unexpected key '${key}' for mount type '${m.type}'`);
        }
        m.required = bool();
        break;
      case 'size': {
        if (m.type !== 'tmpfs') throw new DetailError(`unexpected key '${key}' for mount type '${m.type}'`);
        const size = ramInBytes(value);
        if (size === undefined) throw new DetailError(`invalid value for ${key}: ${value}`);
        m.sizeLimit = size;
        break;
      }
      case 'id':
        m.id = value;
        break;
      case 'sharing': {
        const v = value.toLowerCase();
        if (!(SHARING as readonly string[]).includes(v)) {
          throw new DetailError(withSuggestion(`unsupported sharing value ${quoteString(value)}`, value, SHARING, true));
        }
        m.sharing = v as CacheSharing;
        break;
      }
      case 'mode': {
        const mode = parseGoUint(value, 8, 32);
        if (mode === undefined) throw new DetailError(`invalid value ${value} for mode`);
        m.mode = mode;
        break;
      }
      case 'uid':
      case 'gid': {
        const id = parseGoUint(value, 10, 32);
        if (id === undefined) throw new DetailError(`invalid value ${value} for ${key}`);
        m[key] = id;
        break;
      }
      case 'env':
        m.env = value;
        break;
      default:
        throw new DetailError(withSuggestion(`unexpected key '${key}' in '${field}'`, key, ALL_KEYS, true));
    }
  }

  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfoAllowed) {
    if (m.mode !== undefined) throw new DetailError(`mode not allowed for ${quoteString(m.type)} type mounts`);
    if (m.uid !== undefined) throw new DetailError(`uid not allowed for ${quoteString(m.type)} type mounts`);
    if (m.gid !== undefined) throw new DetailError(`gid not allowed for ${quoteString(m.type)} type mounts`);
  }
  if (roAuto) m.readOnly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== '') throw new DetailError('secret mount should not have a from');
    if (m.sharing !== undefined) throw new DetailError('secret mount should not define sharing');
    if (m.source === '' && m.target === '' && m.id === '') {
      throw new DetailError('invalid secret mount. one of source, target required');
    }
    if (m.source !== '' && m.id !== '') throw new DetailError("both source and id can't be set");
  }
  if (m.sharing !== undefined && m.type !== 'cache') {
    throw new DetailError(`invalid cache sharing set for ${m.type} mount`);
  }
  return m;
}

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units RAMInBytes: `64m`, `1g`, `512KiB`, `1.5 GB` (all binary), or undefined. */
export function ramInBytes(s: string): number | undefined {
  let sep = -1;
  for (let i = s.length - 1; i >= 0; i--) {
    if ('01234567890. '.includes(s[i] ?? '')) {
      sep = i;
      break;
    }
  }
  if (sep === -1) return undefined;
  const num = s[sep] !== ' ' ? s.slice(0, sep + 1) : s.slice(0, sep);
  let sfx = s.slice(sep + 1);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) return undefined;
  let size = Number(num);
  if (!Number.isFinite(size) || size < 0) return undefined;
  if (sfx === '') return Math.trunc(size);
  if (sfx.length > 3) return undefined;
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') return sfx.length > 1 ? undefined : Math.trunc(size);
  const mul = BINARY[sfx[0] ?? ''];
  if (mul === undefined) return undefined;
  size *= mul;
  if (sfx.length === 2 && sfx[1] !== 'b') return undefined;
  if (sfx.length === 3 && sfx.slice(1) !== 'ib') return undefined;
  return Math.trunc(size);
}

/** A `RUN --device` value. */
export interface RunDevice {
  name: string;
  required: boolean;
}

/** Parses a `--device` value: a CDI device name with an optional `required` field. */
export function parseRunDevice(spec: string): RunDevice {
  const fields = csv(spec, 'devices');
  const d: RunDevice = { name: '', required: false };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'required') {
        d.required = true;
        continue;
      }
      if (d.name === '') {
        d.name = field;
        continue;
      }
      throw new DetailError(`invalid field '${field}' must be a key=value pair`);
    }
    const value = field.slice(eq + 1);
    switch (key) {
      case 'name':
        if (d.name !== '') throw new DetailError(`device name already set to ${d.name}`);
        d.name = value;
        break;
      case 'required': {
        const b = parseGoBool(value);
        if (b === undefined) throw new DetailError(`invalid value for ${key}: ${value}`);
        d.required = b;
        break;
      }
      default:
        if (d.name === '') {
          d.name = field;
          continue;
        }
        throw new DetailError(withSuggestion(`unexpected key '${key}' in '${field}'`, key, ['name', 'required'], true));
    }
  }
  return d;
}
