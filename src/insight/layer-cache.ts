/**
 * Layer scans kept on disk by diff_id (a layer never changes, so neither does its scan):
 * `<root>/insight/layers/<hex>.scan`, each written atomically. A file that does not parse or
 * names another layer is ignored (the layer is read again), never trusted. Only layers of
 * the store are cached; the garbage collection drops the files of layers that are gone.
 *
 * Format: a JSON header line `{"version","endian","diffId","tarBytes","entries","pathBytes",
 * "linkBytes"}`, then the scan's columns (scan-table.ts) as raw bytes, in this order: sizes
 * (float64), path ends and link ends (uint32, entries + 1 each), kinds (a byte each), hashes
 * (32 bytes each), paths, links. Each column is read straight into its array: a scan of a
 * million entries is a few reads, and never sits in memory twice.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, join } from 'node:path';
import type { LayerScan } from './layer-scan.ts';
import { HASH_BYTES, KINDS, ScanTable, type ScanColumns } from './scan-table.ts';

/** Bumped when what a scan records, or how, changes: older files are read again. */
const CACHE_VERSION = 4;
const SUFFIX = '.scan';
const NEWLINE = 0x0a;
/** A header line is a few hundred bytes; more is not a header. */
const HEADER_MAX = 4096;

interface Header {
  version: number;
  endian: string;
  diffId: string;
  tarBytes: number;
  entries: number;
  pathBytes: number;
  linkBytes: number;
}

/** `<root>/insight/layers`: where the scans of a store's layers are kept. */
export function layerCacheDir(root: string): string {
  return join(root, 'insight', 'layers');
}

/**
 * A writer's temporary file (`.<hex>.scan.<random>.tmp`) is written in seconds, after its
 * scan: one an hour old was left by a command that was killed.
 */
function staleTemporary(path: string): boolean {
  try {
    return /\.tmp$/.test(path) && Date.now() - statSync(path).mtimeMs > 60 * 60 * 1000;
  } catch {
    return false;
  }
}

function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}

/** Fills `view` from `fd` at `position`; false when the file ends first. */
function readAll(fd: number, view: ArrayBufferView, position: number): boolean {
  const buf = bytesOf(view);
  for (let off = 0; off < buf.length;) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) return false;
    off += n;
  }
  return true;
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** `ends` starts at 0, never goes back, and ends at `total`. */
function validEnds(ends: Uint32Array, total: number): boolean {
  if (ends[0] !== 0 || ends[ends.length - 1] !== total) return false;
  for (let i = 1; i < ends.length; i++) if ((ends[i] as number) < (ends[i - 1] as number)) return false;
  return true;
}

/** Columns that could only come from a scan: known kinds, whole non-negative sizes, ordered offsets. */
function validColumns(c: ScanColumns): boolean {
  for (const k of c.kinds) if (k >= KINDS.length) return false;
  for (const s of c.sizes) if (!Number.isSafeInteger(s) || s < 0) return false;
  return validEnds(c.pathEnds, c.paths.length) && validEnds(c.linkEnds, c.links.length);
}

export class LayerScanCache {
  constructor(private readonly dir: string) {}

  private fileOf(diffId: string): string | undefined {
    const m = /^sha256:([a-f0-9]{64})$/.exec(diffId);
    return m ? join(this.dir, `${m[1]}${SUFFIX}`) : undefined;
  }

  /** The scan cached for `diffId`, as entry objects, or undefined. */
  get(diffId: string): LayerScan | undefined {
    return this.getTable(diffId)?.toScan();
  }

  /** Keeps a scan given as entry objects. */
  put(scan: LayerScan): void {
    this.putTable(ScanTable.fromScan(scan));
  }

  /** The scan cached for `diffId`, or undefined (none, or unreadable: read the layer again). */
  getTable(diffId: string): ScanTable | undefined {
    const file = this.fileOf(diffId);
    if (file === undefined) return undefined;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return undefined;
    }
    try {
      const head = Buffer.alloc(HEADER_MAX);
      const got = readSync(fd, head, 0, HEADER_MAX, 0);
      const nl = head.subarray(0, got).indexOf(NEWLINE);
      if (nl < 0) return undefined;
      const h = JSON.parse(head.toString('utf8', 0, nl)) as Partial<Header>;
      if (h.version !== CACHE_VERSION || h.endian !== endianness() || h.diffId !== diffId) return undefined;
      if (!isCount(h.tarBytes) || !isCount(h.entries) || !isCount(h.pathBytes) || !isCount(h.linkBytes)) return undefined;
      const n = h.entries;
      let at = nl + 1;
      // A file cut short, or with bytes after its columns, is not a scan (checked before any column is made).
      if (fstatSync(fd).size !== at + n * (8 + 4 + 4 + 1 + HASH_BYTES) + 8 + h.pathBytes + h.linkBytes) return undefined;
      const columns: ScanColumns = {
        sizes: new Float64Array(n),
        pathEnds: new Uint32Array(n + 1),
        linkEnds: new Uint32Array(n + 1),
        kinds: new Uint8Array(n),
        hashes: Buffer.alloc(n * HASH_BYTES),
        paths: Buffer.alloc(h.pathBytes),
        links: Buffer.alloc(h.linkBytes),
      };
      const order: ArrayBufferView[] = [columns.sizes, columns.pathEnds, columns.linkEnds, columns.kinds, columns.hashes, columns.paths, columns.links];
      for (const view of order) {
        if (!readAll(fd, view, at)) return undefined;
        at += view.byteLength;
      }
      return validColumns(columns) ? new ScanTable(diffId, h.tarBytes, columns) : undefined;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Keeps `scan` atomically (a temporary file beside it, renamed when complete: a reader
   * sees the whole file or none). Best effort: a cache that cannot be written (a read-only
   * or full disk) only costs the next run a read. No fsync: a crash loses at most a cache
   * file. A scan whose bodies are not named by sha256 (written by hand) is not kept.
   */
  putTable(scan: ScanTable): void {
    const file = this.fileOf(scan.diffId);
    if (file === undefined || scan.hashNames !== undefined) return;
    const c = scan.columns;
    const header: Header = {
      version: CACHE_VERSION, endian: endianness(), diffId: scan.diffId, tarBytes: scan.tarBytes,
      entries: scan.length, pathBytes: c.paths.length, linkBytes: c.links.length,
    };
    const tmp = join(this.dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    let fd: number | undefined;
    try {
      mkdirSync(this.dir, { recursive: true });
      fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      writeAll(fd, Buffer.from(`${JSON.stringify(header)}\n`));
      for (const view of [c.sizes, c.pathEnds, c.linkEnds, c.kinds, c.hashes, c.paths, c.links]) writeAll(fd, bytesOf(view));
      closeSync(fd);
      fd = undefined;
      renameSync(tmp, file);
    } catch {
      // See above: the analysis stands without its cache.
      if (fd !== undefined) closeSync(fd);
      rmSync(tmp, { force: true });
    }
  }

  /** Removes the scans of layers not in `keep` (diff_ids); returns how many went. */
  prune(keep: ReadonlySet<string>): number {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const m = /^([a-f0-9]{64})\.(scan|json)$/.exec(name);
      if (m === null ? !staleTemporary(join(this.dir, name)) : m[2] === 'scan' && keep.has(`sha256:${m[1]}`)) continue;
      try {
        unlinkSync(join(this.dir, name));
        removed++;
      } catch {
        // Gone already (another prune).
      }
    }
    return removed;
  }
}
