/**
 * A layer scan stored column by column: a million entries are a handful of typed arrays and
 * two byte buffers (paths, hardlink targets), not a million objects with a hex string each.
 * Entry `i`'s path is `paths[pathEnds[i] .. pathEnds[i + 1]]` (UTF-8), its body's sha256 the
 * 32 bytes at `hashes[32 i]` (zeros for every kind but `file`).
 */
import type { EntryKind, LayerEntry, LayerScan } from './scan-types.ts';

/** Kind codes, the index in this list (the cache file stores them as such). */
export const KINDS: readonly EntryKind[] = ['file', 'dir', 'symlink', 'hardlink', 'other', 'whiteout', 'opaque'];
export const KIND_CODE: Readonly<Record<EntryKind, number>> = { file: 0, dir: 1, symlink: 2, hardlink: 3, other: 4, whiteout: 5, opaque: 6 };
export const HASH_BYTES = 32;
/** Where `Uint32Array` offsets stop: a layer whose names total 4 GiB is not one we can keep. */
const MAX_TEXT = 2 ** 32 - 1;
const HEX64 = /^[0-9a-f]{64}$/;

export interface ScanColumns {
  kinds: Uint8Array;
  sizes: Float64Array;
  pathEnds: Uint32Array;
  paths: Buffer;
  linkEnds: Uint32Array;
  links: Buffer;
  hashes: Buffer;
}

export class ScanTable {
  readonly length: number;

  /**
   * @param hashNames bodies named by something other than a sha256 (scans written by hand):
   *   entry index → the name; such a table is never cached
   */
  constructor(
    readonly diffId: string,
    readonly tarBytes: number,
    readonly columns: ScanColumns,
    readonly hashNames?: ReadonlyMap<number, string>,
  ) {
    this.length = columns.kinds.length;
  }

  kindCode(i: number): number {
    return this.columns.kinds[i] ?? 0;
  }

  kind(i: number): EntryKind {
    return KINDS[this.kindCode(i)] ?? 'other';
  }

  size(i: number): number {
    return this.columns.sizes[i] ?? 0;
  }

  path(i: number): string {
    const { pathEnds, paths } = this.columns;
    return paths.toString('utf8', pathEnds[i], pathEnds[i + 1]);
  }

  /** A hardlink's target; undefined for other kinds. */
  link(i: number): string | undefined {
    if (this.kindCode(i) !== KIND_CODE.hardlink) return undefined;
    const { linkEnds, links } = this.columns;
    return links.toString('utf8', linkEnds[i], linkEnds[i + 1]);
  }

  /** The body's sha256 in hex ('' for every kind but `file`). */
  hashHex(i: number): string {
    if (this.kindCode(i) !== KIND_CODE.file) return '';
    return this.hashNames?.get(i) ?? this.columns.hashes.toString('hex', i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }

  /** The first 4 bytes of the body's hash, as a number (for hash tables). */
  hashKey(i: number): number {
    return this.columns.hashes.readUInt32LE(i * HASH_BYTES);
  }

  /** True when entry `i` here and entry `j` of `other` have the same body hash. */
  sameHash(i: number, other: ScanTable, j: number): boolean {
    if (this.hashNames !== undefined || other.hashNames !== undefined) return this.hashHex(i) === other.hashHex(j);
    return this.columns.hashes.compare(other.columns.hashes, j * HASH_BYTES, (j + 1) * HASH_BYTES, i * HASH_BYTES, (i + 1) * HASH_BYTES) === 0;
  }

  /** Entry `i` as an object (for callers that want one; the analysis reads the columns). */
  entry(i: number): LayerEntry {
    const kind = this.kind(i);
    const e: LayerEntry = { path: this.path(i), kind, size: this.size(i), sha256: this.hashHex(i) };
    if (kind === 'hardlink') e.link = this.link(i) ?? '';
    return e;
  }

  toScan(): LayerScan {
    const entries: LayerEntry[] = [];
    for (let i = 0; i < this.length; i++) entries.push(this.entry(i));
    return { diffId: this.diffId, tarBytes: this.tarBytes, entries };
  }

  static fromScan(scan: LayerScan | ScanTable): ScanTable {
    if (scan instanceof ScanTable) return scan;
    const builder = new ScanTableBuilder();
    const names = new Map<number, string>();
    for (const [i, e] of scan.entries.entries()) {
      builder.add(e.path, e.kind, e.size, e.link);
      if (e.kind !== 'file') continue;
      if (HEX64.test(e.sha256)) builder.setHash(i, Buffer.from(e.sha256, 'hex'));
      else names.set(i, e.sha256);
    }
    return builder.build(scan.diffId, scan.tarBytes, names.size > 0 ? names : undefined);
  }
}

/** Bytes appended to a buffer that doubles as it fills. */
class ByteColumn {
  buf = Buffer.allocUnsafe(1024);
  used = 0;

  append(text: string): void {
    const need = Buffer.byteLength(text);
    if (this.used + need > MAX_TEXT) throw new RangeError('a layer\'s names total more than 4 GiB');
    this.reserve(need);
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  reserve(extra: number): void {
    if (this.used + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + extra));
    this.buf.copy(bigger, 0, 0, this.used);
    this.buf = bigger;
  }

  done(): Buffer {
    // A mostly full buffer is kept as it is (a copy would double it for a moment, for little
    // saved); an emptier one is copied, to free its spare room.
    if (this.used >= this.buf.length * 0.75) return this.buf.subarray(0, this.used);
    return Buffer.from(this.buf.subarray(0, this.used));
  }
}

/** Collects entries one by one (a scan in tar order), then gives the table. */
export class ScanTableBuilder {
  private count = 0;
  private kinds = new Uint8Array(256);
  private sizes = new Float64Array(256);
  private pathEnds = new Uint32Array(257);
  private linkEnds = new Uint32Array(257);
  private hashes = Buffer.alloc(256 * HASH_BYTES);
  private readonly paths = new ByteColumn();
  private readonly links = new ByteColumn();

  get length(): number {
    return this.count;
  }

  /** Adds an entry; returns its index. */
  add(path: string, kind: EntryKind, size: number, link?: string): number {
    if (this.count === this.kinds.length) this.grow();
    const i = this.count++;
    this.kinds[i] = KIND_CODE[kind];
    this.sizes[i] = size;
    this.paths.append(path);
    this.pathEnds[i + 1] = this.paths.used;
    if (kind === 'hardlink' && link !== undefined) this.links.append(link);
    this.linkEnds[i + 1] = this.links.used;
    return i;
  }

  setHash(i: number, digest: Buffer): void {
    digest.copy(this.hashes, i * HASH_BYTES, 0, HASH_BYTES);
  }

  private grow(): void {
    const n = this.kinds.length * 2;
    const kinds = new Uint8Array(n);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const sizes = new Float64Array(n);
    sizes.set(this.sizes);
    this.sizes = sizes;
    const pathEnds = new Uint32Array(n + 1);
    pathEnds.set(this.pathEnds);
    this.pathEnds = pathEnds;
    const linkEnds = new Uint32Array(n + 1);
    linkEnds.set(this.linkEnds);
    this.linkEnds = linkEnds;
    const hashes = Buffer.alloc(n * HASH_BYTES);
    this.hashes.copy(hashes);
    this.hashes = hashes;
  }

  build(diffId: string, tarBytes: number, hashNames?: ReadonlyMap<number, string>): ScanTable {
    const n = this.count;
    // Mostly full columns are kept as they are: a copy would double them for a moment, for
    // little saved. Emptier ones are copied, to free their spare room.
    const keep = n >= this.kinds.length * 0.75;
    return new ScanTable(diffId, tarBytes, {
      kinds: keep ? this.kinds.subarray(0, n) : this.kinds.slice(0, n),
      sizes: keep ? this.sizes.subarray(0, n) : this.sizes.slice(0, n),
      pathEnds: keep ? this.pathEnds.subarray(0, n + 1) : this.pathEnds.slice(0, n + 1),
      paths: this.paths.done(),
      linkEnds: keep ? this.linkEnds.subarray(0, n + 1) : this.linkEnds.slice(0, n + 1),
      links: this.links.done(),
      hashes: keep ? this.hashes.subarray(0, n * HASH_BYTES) : Buffer.from(this.hashes.subarray(0, n * HASH_BYTES)),
    }, hashNames);
  }
}
