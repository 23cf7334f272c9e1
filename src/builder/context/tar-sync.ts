/**
 * Brings a kept context directory up to date with a context tar as it streams in, writing
 * only what changed, so that it ends exactly as unpacking the tar into an empty directory
 * (build-context.ts's path for a one-off tar) would have left it.
 *
 * Why a kept directory synced in place, rather than keys computed from the tar alone: the
 * solver resolves COPY sources (wildcards, symlinks inside the context, `.dockerignore`,
 * `--parents`, `--exclude`) on a directory tree and remembers file digests by inode, size and
 * times (content-hash.ts). Keeping that one code path keeps every cache key identical to an
 * unpacked tar's, and an untouched kept file keeps its inode and ctime, so a no-op rebuild
 * answers each COPY from what was remembered without reading a file again.
 *
 * How: each entry is compared with what the directory holds: type, mode, owner, mtime, link
 * target, and a regular file's bytes, read back as the tar's arrive (the kept file is read,
 * never written; a mismatch found mid-file is caught up from the kept file's prefix). An
 * entry that differs is spooled to a small tar of changes, applied with applyLayer (its
 * path confinement, hardlinks, devices, xattrs) once the whole context arrived: a truncated
 * or malformed tar fails before the directory is touched. Then entries the tar no longer
 * has are removed and directory mtimes restored.
 *
 * The comparison needs every entry's path to be where its name says: a clean name whose
 * parent directory came earlier in this tar, no duplicates, no whiteouts. From the first
 * entry that is not so, the rest of the tar is spooled whole (a second spool, applied after
 * the removal, which then leaves the directory as the prefix alone would have): slower, the
 * same tree.
 */
import { closeSync, constants, lchownSync, chmodSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, writeSync, type Stats } from 'node:fs';
import { applyLayer, decompress } from '../../diff/index.ts';
import { errnoOf, invalidArgument } from '../../errdefs/index.ts';
import { encodeHeader, endOfArchive, paddingFor, TarParser, type TarHeader, type TarParserHandlers } from '../../internal/tar/index.ts';
import { PATH_MAX } from '../../internal/index.ts';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../../oci/index.ts';

export interface SyncStats {
  /** The directory was new: the tar was unpacked into it, nothing compared. */
  unpacked: boolean;
  /** Entries in the tar (0 when unpacked). */
  entries: number;
  /** Entries written to the directory (spooled and applied). */
  written: number;
  /** Entries removed because the tar no longer has them. */
  removed: number;
}

/** Reused for reading kept files back; a chunk larger than it is compared in pieces. */
const COMPARE_CHUNK = 256 << 10;
/** Input is handed to the parser in pieces of up to this size. */
const STAGE_BYTES = 256 << 10;

/** A tar of entries to apply, written to a file under the store's tmp/ as they stream in. */
class Spool {
  private fd: number | undefined;
  entries = 0;

  constructor(readonly path: string) {}

  header(h: TarHeader): void {
    this.entries++;
    this.write(encodeHeader(h));
  }

  write(bytes: Uint8Array): void {
    this.fd ??= openSync(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
  }

  /** Ends the archive; true when it holds anything to apply. */
  finish(): boolean {
    if (this.entries === 0) return false;
    this.write(endOfArchive());
    closeSync(this.fd!);
    this.fd = undefined;
    return true;
  }

  remove(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }
}

/** A '.' or '..' component anywhere in a name. */
const DOT_COMPONENT = /(^|\/)\.\.?(\/|$)/;

/** The entry's path as a clean relative name ('' for the root), or undefined when it needs applyLayer's resolution. */
function cleanName(h: TarHeader): string | undefined {
  const raw = h.nameBytes.toString('latin1');
  // Most names are clean already (the docker CLI's all are): no '.', '..' or empty component.
  if (!raw.startsWith('/') && !raw.includes('//') && !DOT_COMPONENT.test(raw)) return raw.endsWith('/') ? raw.slice(0, -1) : raw;
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return undefined;
    parts.push(part);
  }
  return parts.join('/');
}

/**
 * Names are kept as Latin-1 strings, one char per byte (as applyLayer keys them), so any name
 * round-trips; a path for the fs calls is made back into those bytes.
 */
function bytePath(latin1: string): Buffer {
  return Buffer.from(latin1, 'latin1');
}

function lstatOrUndefined(abs: Buffer): Stats | undefined {
  try {
    return lstatSync(abs);
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return undefined;
    throw err;
  }
}

function sameOwnerAndMode(st: Stats, h: TarHeader): boolean {
  return (st.mode & 0o7777) === h.mode && st.uid === h.uid && st.gid === h.gid;
}

/** applyLayer sets mtimes from the header's seconds; a microsecond covers the conversion. */
function sameMtime(st: Stats, h: TarHeader): boolean {
  return Math.abs(st.mtimeMs - h.mtime * 1000) < 0.001;
}

/** Node turns negative numbers into "now"; a Date keeps pre-1970 times (as applyLayer sets them). */
function time(seconds: number): number | Date {
  return seconds >= 0 ? seconds : new Date(seconds * 1000);
}

/** A regular file being compared with its kept copy. */
interface Comparing {
  h: TarHeader;
  fd: number;
  offset: number;
}

/** An entry going to a spool: its body follows, then the padding its size needs. */
interface Spooling {
  h: TarHeader;
  spool: Spool;
}

class ContextSync implements TarParserHandlers {
  /** Clean names of the entries compared so far (phase one). */
  private readonly seen = new Set<string>();
  /** Directories among them, with their headers (for mtimes, and to replay them in phase two). */
  private readonly dirs = new Map<string, TarHeader>();
  /** Directories that are new or replace a non-directory: what is below them is new too. */
  private readonly freshDirs = new Set<string>();
  /** Entries spooled in phase one (a hardlink to one of them is rewritten too). */
  private readonly spooled = new Set<string>();
  /** Phase two: from the first entry that cannot be compared, everything is spooled. */
  private whole = false;
  private current: 'skip' | Spooling | Comparing = 'skip';
  private readonly compareBuffer = Buffer.allocUnsafe(COMPARE_CHUNK);
  /** The directory's path as Latin-1 (see bytePath). */
  private readonly dirName: string;
  entries = 0;

  constructor(
    dir: string,
    readonly changes: Spool,
    readonly rest: Spool,
  ) {
    this.dirName = Buffer.from(dir).toString('latin1');
  }

  /** The path of an entry (a clean Latin-1 name, '' for the root) as bytes. */
  pathOf(name: string): Buffer {
    return bytePath(name === '' ? this.dirName : `${this.dirName}/${name}`);
  }

  get wholeRest(): boolean {
    return this.whole;
  }

  get keptNames(): ReadonlySet<string> {
    return this.seen;
  }

  get keptDirs(): ReadonlyMap<string, TarHeader> {
    return this.dirs;
  }

  get rootSeen(): boolean {
    return this.dirs.has('');
  }

  onEntry(h: TarHeader): void {
    this.entries++;
    if (h.type === 'unknown') throw invalidArgument(`layer entry ${JSON.stringify(h.name)}: unsupported entry type ${JSON.stringify(h.typeflag)}`);
    if (!this.whole) {
      const name = this.comparable(h);
      if (name !== undefined) {
        this.compare(name, h);
        return;
      }
      this.startWhole();
    }
    // An opaque whiteout removes what this tar did not create: into an empty directory, nothing.
    const base = h.nameBytes.toString('latin1').replace(/\/+$/, '').split('/').pop();
    if (base === OPAQUE_WHITEOUT) {
      this.current = 'skip';
      return;
    }
    this.rest.header(h);
    this.current = { h, spool: this.rest };
  }

  onData(chunk: Buffer): void {
    const c = this.current;
    if (c === 'skip') return;
    if ('spool' in c) {
      c.spool.write(chunk);
      return;
    }
    for (let from = 0; from < chunk.length; from += COMPARE_CHUNK) {
      const piece = chunk.subarray(from, from + COMPARE_CHUNK);
      const kept = this.compareBuffer.subarray(0, piece.length);
      const n = readSync(c.fd, kept, 0, piece.length, c.offset);
      if (n === piece.length && kept.equals(piece)) {
        c.offset += n;
        continue;
      }
      // The file changed: spool it, its unchanged start from the kept copy, then the rest as it comes.
      this.changes.header(c.h);
      this.spooled.add(cleanName(c.h)!);
      for (let at = 0; at < c.offset; ) {
        const got = readSync(c.fd, this.compareBuffer, 0, Math.min(COMPARE_CHUNK, c.offset - at), at);
        if (got === 0) throw invalidArgument(`context file ${JSON.stringify(c.h.name)} changed while it was compared`);
        this.changes.write(this.compareBuffer.subarray(0, got));
        at += got;
      }
      closeSync(c.fd);
      this.current = { h: c.h, spool: this.changes };
      this.changes.write(chunk.subarray(from));
      return;
    }
  }

  onEntryEnd(): void {
    const c = this.current;
    this.current = 'skip';
    if (c === 'skip') return;
    if ('spool' in c) {
      if (c.h.type === 'file') c.spool.write(paddingFor(c.h.size));
      return;
    }
    closeSync(c.fd);
  }

  /** Releases what an entry cut short holds. */
  abort(): void {
    if (typeof this.current === 'object' && 'fd' in this.current) closeSync(this.current.fd);
    this.current = 'skip';
  }

  /** The entry's clean name when it can be compared in place (phase one), else undefined. */
  private comparable(h: TarHeader): string | undefined {
    const name = cleanName(h);
    if (name === undefined || this.seen.has(name)) return undefined;
    if (this.dirName.length + 1 + name.length >= PATH_MAX) return undefined;
    const slash = name.lastIndexOf('/');
    const parent = slash < 0 ? '' : name.slice(0, slash);
    const base = slash < 0 ? name : name.slice(slash + 1);
    if (name === '') return h.type === 'directory' ? name : undefined;
    if (base.startsWith(WHITEOUT_PREFIX)) return undefined;
    if (parent !== '' && !this.dirs.has(parent)) return undefined;
    if (h.type === 'hardlink') {
      const target = cleanName({ nameBytes: h.linknameBytes } as TarHeader);
      if (target === undefined || target === '' || !this.seen.has(target) || this.dirs.has(target)) return undefined;
    }
    return name;
  }

  private compare(name: string, h: TarHeader): void {
    this.seen.add(name);
    const slash = name.lastIndexOf('/');
    const parent = slash < 0 ? '' : name.slice(0, slash);
    const abs = this.pathOf(name);
    const st = name !== '' && this.freshDirs.has(parent) ? undefined : lstatOrUndefined(abs);
    if (h.type === 'directory') {
      this.dirs.set(name, h);
      if (st === undefined || !st.isDirectory()) this.freshDirs.add(name);
      if (st !== undefined && st.isDirectory() && sameOwnerAndMode(st, h) && h.xattrs.size === 0) return this.keep();
      return this.spool(name, h);
    }
    if (st === undefined || h.xattrs.size > 0 || !sameMtime(st, h)) return this.spool(name, h);
    switch (h.type) {
      case 'file':
        // A kept file linked elsewhere would stay linked: an unpacked tar's files are not.
        if (!st.isFile() || st.nlink !== 1 || st.size !== h.size || !sameOwnerAndMode(st, h)) return this.spool(name, h);
        if (h.size === 0) return this.keep();
        this.current = { h, fd: openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW), offset: 0 };
        return;
      case 'symlink':
        if (st.isSymbolicLink() && st.uid === h.uid && st.gid === h.gid && readlinkSync(abs, { encoding: 'buffer' }).equals(h.linknameBytes)) return this.keep();
        return this.spool(name, h);
      case 'hardlink': {
        const target = cleanName({ nameBytes: h.linknameBytes } as TarHeader)!;
        const targetSt = this.spooled.has(target) ? undefined : lstatOrUndefined(this.pathOf(target));
        if (targetSt !== undefined && targetSt.ino === st.ino && targetSt.dev === st.dev && !st.isDirectory() && sameOwnerAndMode(st, h)) return this.keep();
        return this.spool(name, h);
      }
      default:
        // Devices and fifos: rare in a context, always rewritten.
        return this.spool(name, h);
    }
  }

  private keep(): void {
    this.current = 'skip';
  }

  private spool(name: string, h: TarHeader): void {
    this.spooled.add(name);
    this.changes.header(h);
    this.current = { h, spool: this.changes };
  }

  /**
   * Phase two: the rest of the tar is applied whole, after what phase one found and the
   * removal of what the tar does not have. Phase one's directories are replayed first, so the
   * second apply sets their mtimes last, as one apply of the whole tar would.
   */
  private startWhole(): void {
    this.whole = true;
    for (const h of this.dirs.values()) this.rest.header(h);
    this.current = 'skip';
  }
}

/** Removes what the directory holds and the tar did not name; returns how many entries went. */
function removeUnnamed(sync: ContextSync, rel: string, names: ReadonlySet<string>): number {
  let removed = 0;
  for (const entry of readdirSync(sync.pathOf(rel), { encoding: 'buffer', withFileTypes: true })) {
    const name = entry.name.toString('latin1');
    const childRel = rel === '' ? name : `${rel}/${name}`;
    if (!names.has(childRel)) {
      rmSync(sync.pathOf(childRel), { recursive: true, force: true });
      removed++;
    } else if (entry.isDirectory()) {
      removed += removeUnnamed(sync, childRel, names);
    }
  }
  return removed;
}

/** The process umask, from /proc (process.umask() without arguments is deprecated). */
function umask(): number {
  const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
  return m === null ? 0o022 : parseInt(m[1]!, 8);
}

/** What mkdir gives a new directory: the root of an unpacked tar that names no root entry. */
function resetRoot(dir: string): void {
  const st = lstatSync(dir);
  const mode = 0o777 & ~umask();
  const uid = process.getuid?.() ?? st.uid;
  const gid = process.getgid?.() ?? st.gid;
  if (st.uid !== uid || st.gid !== gid) lchownSync(dir, uid, gid);
  if ((st.mode & 0o7777) !== mode) chmodSync(dir, mode);
}

/**
 * Syncs `dir` with the context tar `source` (plain, gzip or zstd). When `dir` does not exist
 * yet (the first build with it), the tar is unpacked into it directly.
 * @param spoolBase a path prefix under the store's tmp/ for the spools of changes
 * @throws what applyLayer throws for a malformed or truncated tar; `dir` is then untouched,
 *   unless the tar was wrong in a way only applying it shows (an escaping link): `dir` is
 *   then removed.
 */
export async function syncContextTar(source: AsyncIterable<Uint8Array>, dir: string, spoolBase: string): Promise<SyncStats> {
  let made = true;
  try {
    mkdirSync(dir);
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw err;
    made = false;
  }
  // A new directory is as an unpacked tar's (made just before it is unpacked into).
  if (made) {
    try {
      await applyLayer({ source, target: dir, whiteouts: 'native', computeDiffId: false });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return { unpacked: true, entries: 0, written: 0, removed: 0 };
  }
  const changes = new Spool(`${spoolBase}-changes.tar`);
  const rest = new Spool(`${spoolBase}-rest.tar`);
  const sync = new ContextSync(dir, changes, rest);
  const parser = new TarParser(sync);
  let touched = false;
  try {
    const { stream } = await decompress(source);
    // The docker CLI's chunks average a few kB: gathered, the parser and the comparison of a
    // kept file each run once per 256 kB rather than once per chunk. (The parser keeps no view
    // of what it was given, so the buffer is reused.)
    const stage = Buffer.allocUnsafeSlow(STAGE_BYTES);
    let fill = 0;
    for await (const chunk of stream) {
      if (fill + chunk.length > STAGE_BYTES && fill > 0) {
        parser.write(stage.subarray(0, fill));
        fill = 0;
      }
      if (chunk.length >= STAGE_BYTES) {
        parser.write(chunk);
        continue;
      }
      stage.set(chunk, fill);
      fill += chunk.length;
    }
    if (fill > 0) parser.write(stage.subarray(0, fill));
    parser.end();
    touched = true;
    const stats: SyncStats = { unpacked: false, entries: sync.entries, written: changes.entries, removed: 0 };
    if (changes.finish()) await applyLayer({ source: { file: changes.path }, target: dir, whiteouts: 'native', computeDiffId: false });
    stats.removed = removeUnnamed(sync, '', sync.keptNames);
    if (!sync.rootSeen) resetRoot(dir);
    if (sync.wholeRest) {
      stats.written += rest.entries;
      if (rest.finish()) await applyLayer({ source: { file: rest.path }, target: dir, whiteouts: 'native', computeDiffId: false });
    } else {
      // Directory mtimes last, as applyLayer sets them: writes and removals above moved them.
      for (const [name, h] of sync.keptDirs) {
        const abs = sync.pathOf(name);
        if (!sameMtime(lstatSync(abs), h)) lutimesSync(abs, time(h.mtime), time(h.mtime));
      }
    }
    return stats;
  } catch (err) {
    // Part-way through applying: what is left is neither tree, and must not be taken for one.
    if (touched) rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    sync.abort();
    changes.remove();
    rest.remove();
  }
}
