/**
 * The tar header as strata sees it, and the fixed layout of a 512-byte ustar block.
 *
 * One `TarHeader` describes one real entry after every extension that applies to it
 * (PAX `x` and `g` records, GNU `L`/`K` long names) has been folded in, so callers never
 * see the meta entries themselves.
 */

/** What an entry is. `unknown` covers every typeflag strata does not interpret (see `typeflag`). */
export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo' | 'unknown';

export interface TarHeader {
  /** The full path (after PAX `path` or a GNU long name), decoded as UTF-8. */
  name: string;
  /** The exact bytes of the path, for names that are not valid UTF-8. */
  nameBytes: Buffer;
  type: TarEntryType;
  /** The raw typeflag as a one-character string ('0', '5', 'V', …); tells unknown types apart. */
  typeflag: string;
  /** Permission bits plus setuid/setgid/sticky (0o7777 at most); never file-type bits. */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of body that follow the header: 0 for every type but `file` and `unknown`. */
  size: number;
  /** Modification time in seconds since the epoch; fractional when a PAX record says so. */
  mtime: number;
  /** Target of a symlink or hardlink, decoded as UTF-8 ('' for other types). */
  linkname: string;
  linknameBytes: Buffer;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.*` records, values byte for byte. */
  xattrs: ReadonlyMap<string, Buffer>;
  /** Every other PAX record (atime, ctime, comment, vendor keys), raw. */
  pax: ReadonlyMap<string, Buffer>;
}

/** What the writer needs: a name and a type; every other field has a neutral default. */
export interface TarHeaderInit {
  name: string;
  /** When given, written instead of `name` (for exact round trips of non-UTF-8 names). */
  nameBytes?: Buffer;
  type: TarEntryType;
  /** Required when `type` is 'unknown'; ignored otherwise. */
  typeflag?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  linkname?: string;
  linknameBytes?: Buffer;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: ReadonlyMap<string, Buffer>;
  pax?: ReadonlyMap<string, Buffer>;
}

export const BLOCK_SIZE = 512;

/** Byte ranges [start, end) of the fields of a ustar header block. */
export const F = {
  name: [0, 100],
  mode: [100, 108],
  uid: [108, 116],
  gid: [116, 124],
  size: [124, 136],
  mtime: [136, 148],
  chksum: [148, 156],
  typeflag: [156, 157],
  linkname: [157, 257],
  magic: [257, 263],
  version: [263, 265],
  uname: [265, 297],
  gname: [297, 329],
  devmajor: [329, 337],
  devminor: [337, 345],
  prefix: [345, 500],
} as const;

const TYPE_BY_FLAG: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

const FLAG_BY_TYPE: Record<Exclude<TarEntryType, 'unknown'>, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
};

export function typeOfFlag(flag: string): TarEntryType {
  return TYPE_BY_FLAG[flag] ?? 'unknown';
}

export function flagOfType(type: Exclude<TarEntryType, 'unknown'>): string {
  return FLAG_BY_TYPE[type];
}

/** Types whose size field is ignored: their entries never carry a body (as Go's archive/tar reads them). */
export function isHeaderOnly(type: TarEntryType): boolean {
  return type !== 'file' && type !== 'unknown';
}

/** The typeflags of meta entries that extend the next real entry. */
export const META_FLAGS = new Set(['x', 'g', 'L', 'K']);
