/**
 * Layer scans kept on disk by diff_id (a layer never changes, so neither does its scan):
 * `<root>/insight/layers/<hex>.scan`, each written atomically. A file that does not parse or
 * names another layer is ignored (the layer is read again), never trusted. Only layers of
 * the store are cached; the garbage collection drops the files of layers that are gone.
 *
 * Format: a JSON header line `{"version","diffId","tarBytes","entries"}`, then one line per
 * entry, `KIND SIZE SHA256|- PATH`, and for a hardlink a tab and its target (`\`, newlines and
 * tabs in names escaped as `\\`, `\n` and `\t`). Read
 * in chunks, so a scan of a million entries never sits in memory twice.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EntryKind, LayerEntry, LayerScan } from './layer-scan.ts';

/** Bumped when what a scan records changes: older files are read again. */
const CACHE_VERSION = 3;
const SUFFIX = '.scan';
const CHUNK = 4 * 1024 * 1024;
const NEWLINE = 0x0a;
const SPACE = 0x20;

const KIND_LETTER: Record<EntryKind, string> = { file: 'f', dir: 'd', symlink: 'l', hardlink: 'h', other: 'o', whiteout: 'w', opaque: 'q' };
const LETTER_KIND = new Map(Object.entries(KIND_LETTER).map(([k, v]) => [v.charCodeAt(0), k as EntryKind]));

interface Header {
  version: number;
  diffId: string;
  tarBytes: number;
  entries: number;
}

/** `<root>/insight/layers`: where the scans of a store's layers are kept. */
export function layerCacheDir(root: string): string {
  return join(root, 'insight', 'layers');
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\t': '\\t' };
const UNESCAPES: Record<string, string> = { n: '\n', t: '\t' };

function escapePath(path: string): string {
  return /[\\\n\t]/.test(path) ? path.replace(/[\\\n\t]/g, (c) => ESCAPES[c] ?? c) : path;
}

function unescapePath(text: string): string {
  return text.includes('\\') ? text.replace(/\\(.)/g, (_m, c: string) => UNESCAPES[c] ?? c) : text;
}

/** One entry line, or undefined when it is not one. */
function parseLine(buf: Buffer, start: number, end: number): LayerEntry | undefined {
  const kind = LETTER_KIND.get(buf[start] ?? 0);
  if (kind === undefined || buf[start + 1] !== SPACE) return undefined;
  const sizeEnd = buf.indexOf(SPACE, start + 2);
  if (sizeEnd < 0 || sizeEnd >= end) return undefined;
  const size = Number(buf.toString('latin1', start + 2, sizeEnd));
  const shaEnd = buf.indexOf(SPACE, sizeEnd + 1);
  if (!Number.isSafeInteger(size) || shaEnd < 0 || shaEnd > end) return undefined;
  const sha = buf.toString('latin1', sizeEnd + 1, shaEnd);
  const names = buf.toString('utf8', shaEnd + 1, end);
  const entry: LayerEntry = { kind, size, sha256: sha === '-' ? '' : sha, path: '' };
  const tab = kind === 'hardlink' ? names.indexOf('\t') : -1;
  entry.path = unescapePath(tab < 0 ? names : names.slice(0, tab));
  if (tab >= 0) entry.link = unescapePath(names.slice(tab + 1));
  return entry;
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

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}

export class LayerScanCache {
  constructor(private readonly dir: string) {}

  private fileOf(diffId: string): string | undefined {
    const m = /^sha256:([a-f0-9]{64})$/.exec(diffId);
    return m ? join(this.dir, `${m[1]}${SUFFIX}`) : undefined;
  }

  /** The scan cached for `diffId`, or undefined (none, or unreadable: read the layer again). */
  get(diffId: string): LayerScan | undefined {
    const file = this.fileOf(diffId);
    if (file === undefined) return undefined;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return undefined;
    }
    try {
      let buf = Buffer.allocUnsafe(CHUNK);
      let fill = 0;
      let header: Header | undefined;
      const entries: LayerEntry[] = [];
      for (;;) {
        if (fill === buf.length) {
          // A line longer than the buffer (a path of megabytes): grow it.
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, fill);
          buf = bigger;
        }
        const n = readSync(fd, buf, fill, buf.length - fill, null);
        fill += n;
        let pos = 0;
        for (let nl = buf.indexOf(NEWLINE, pos); nl >= 0 && nl < fill; nl = buf.indexOf(NEWLINE, pos)) {
          if (header === undefined) {
            header = JSON.parse(buf.toString('utf8', pos, nl)) as Header;
            if (header.version !== CACHE_VERSION || header.diffId !== diffId) return undefined;
          } else {
            const entry = parseLine(buf, pos, nl);
            if (entry === undefined) return undefined;
            entries.push(entry);
          }
          pos = nl + 1;
        }
        buf.copy(buf, 0, pos, fill);
        fill -= pos;
        if (n === 0) break;
      }
      // A file cut short (a crash while the old format was written, a full disk) is not a scan.
      if (header === undefined || fill !== 0 || entries.length !== header.entries) return undefined;
      return { diffId, tarBytes: header.tarBytes, entries };
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Keeps `scan` atomically (a temporary file beside it, renamed when complete: a reader
   * sees the whole file or none), written in batches of lines so a large scan is never one
   * string. Best effort: a cache that cannot be written (a read-only or full disk) only
   * costs the next run a read. No fsync: a crash loses at most a cache file.
   */
  put(scan: LayerScan): void {
    const file = this.fileOf(scan.diffId);
    if (file === undefined) return;
    const header: Header = { version: CACHE_VERSION, diffId: scan.diffId, tarBytes: scan.tarBytes, entries: scan.entries.length };
    const tmp = join(this.dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    let fd: number | undefined;
    try {
      mkdirSync(this.dir, { recursive: true });
      fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      let batch: string[] = [JSON.stringify(header)];
      const flush = (): void => {
        writeAll(fd as number, Buffer.from(`${batch.join('\n')}\n`));
        batch = [];
      };
      for (const e of scan.entries) {
        const link = e.link === undefined ? '' : `\t${escapePath(e.link)}`;
        batch.push(`${KIND_LETTER[e.kind]} ${e.size} ${e.sha256 === '' ? '-' : e.sha256} ${escapePath(e.path)}${link}`);
        if (batch.length === 8192) flush();
      }
      if (batch.length > 0) flush();
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
