/**
 * Applying a layer: stream a layer blob (uncompressed, gzip or zstd) into a directory,
 * computing its diff_id and docker's layer size in the same pass.
 *
 * Every path lands inside the target: names are cleaned lexically ('..' may not climb out,
 * absolute names are taken relative to the target), parents are resolved one component at a
 * time with symlinks followed only inside the target (see internal/path-in-root.ts), a symlink whose
 * relative target climbs out of the target is refused (as docker refuses it), a hardlink
 * must name a file inside the target, and an existing entry is removed before a new one
 * takes its place (never written through).
 *
 * The caller owns the target: on failure it may hold part of the layer, and the caller
 * removes it (a snapshot that failed to apply is never committed). Nothing is ever written
 * outside it.
 *
 * A layer larger than 2 MiB applied to an empty target (a new snapshot) uses two more threads,
 * one for the sha256 of the stream and one for the bodies of its new regular files
 * (file-sink.ts), so the kernel's work for each file overlaps the parsing and path checks here.
 * An uncompressed layer in a file is read straight into the memory those threads read from.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  createReadStream,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { errnoOf, fromSystemError, invalidArgument, StrataError } from '../errdefs/index.ts';
import { OPAQUE_WHITEOUT, RESERVED_WHITEOUT_PREFIX, WHITEOUT_PREFIX } from '../oci/index.ts';
import { TarParser } from '../internal/tar/index.ts';
import type { TarHeader, TarParserHandlers } from '../internal/tar/index.ts';
import { lsetxattr, mknod } from '../internal/sys/index.ts';
import { PATH_MAX, PathInRootError } from '../internal/index.ts';
import { decompress, detectCompression } from './compression.ts';
import { FileSink, MAX_APPEND } from './file-sink.ts';
import { LayerSize } from './layer-size.ts';
import { removeTree } from './remove-tree.ts';
import { cleanComponents, RootPath } from './root-path.ts';

export type WhiteoutMode = 'overlay' | 'native' | 'none';

/**
 * A layer blob: a stream, or a file. An uncompressed layer in a file is read with no copy and
 * no allocation per chunk (a fresh buffer for every read costs a page fault per 4 KiB).
 */
export type LayerSource = AsyncIterable<Uint8Array> | { file: string };

export interface ApplyLayerOptions {
  /** The layer blob: uncompressed tar, gzip or zstd (told apart by magic bytes). */
  source: LayerSource;
  /** An existing directory: empty for the overlay driver, the parent's full tree for native. */
  target: string;
  /**
   * 'overlay': whiteouts become 0/0 character devices and opaque directories get
   * `trusted.overlay.opaque=y` (the target is one overlay layer). 'native': whiteouts delete
   * from the target, which holds the full merged tree. 'none': not a layer but a plain
   * archive (`cp`): `.wh.` names are ordinary files, as docker's cp extracts them.
   */
  whiteouts: WhiteoutMode;
  /** Refuse layers whose uncompressed tar is larger than this many bytes (default: no limit). */
  maxTarSize?: number;
  /** Own every entry by this uid/gid instead of the tar's (ADD --chown of a local archive, as BuildKit's ChownOpts). */
  owner?: { uid: number; gid: number };
  /**
   * Bytes of stream after which a second thread hashes the stream and writes new regular files,
   * when the target started empty (default 2 MiB; 0: from the first byte; Infinity: never).
   */
  secondThreadAfter?: number;
  /**
   * false when the caller hashes the stream itself as it writes it (commit: the diff that
   * produces the layer has its diff_id): the bytes are not hashed again, and `diffId` is ''.
   */
  computeDiffId?: boolean;
}

export interface LayerStats {
  /** sha256 of the uncompressed tar stream: the layer's diff_id. */
  diffId: string;
  /** Docker's layer size: non-directory lstat sizes, each inode once. */
  size: number;
  /** Bytes of uncompressed tar. */
  tarSize: number;
}

/**
 * Applies one layer to `target`.
 * @returns the diff_id, docker's size and the tar size, all from the same single pass.
 * @throws StrataError 'invalid-argument' for a malformed layer or an entry that would
 *   escape the target (naming the entry), 'data-loss' for a truncated one, 'unimplemented'
 *   for bzip2/xz. The target may then hold part of the layer: the caller removes it.
 */
export async function applyLayer(options: ApplyLayerOptions): Promise<LayerStats> {
  const st = lstatSync(options.target, { throwIfNoEntry: false });
  if (st === undefined || !st.isDirectory()) {
    throw invalidArgument(`apply layer: target ${JSON.stringify(options.target)} is not an existing directory`);
  }
  const source = options.source;
  if ('file' in source) {
    let fd: number;
    try {
      fd = openSync(source.file, 'r');
    } catch (err) {
      throw fromSystemError(err, `open layer ${JSON.stringify(source.file)}`);
    }
    try {
      const head = Buffer.alloc(6);
      const n = readSync(fd, head, 0, head.length, 0);
      if (detectCompression(head.subarray(0, n)) === 'none') return await applyFile(fd, options);
    } finally {
      closeSync(fd);
    }
    return applyStream(createReadStream(source.file, { highWaterMark: FILE_CHUNK }), options);
  }
  return applyStream(source, options);
}

/** Bytes read from a layer file at a time; the parser sees one such chunk per write. */
const FILE_CHUNK = 256 << 10;
/** A file apply runs synchronously; it lets the event loop run (signals, timers) this often. */
const YIELD_EVERY_CHUNKS = 16;

async function applyStream(source: AsyncIterable<Uint8Array>, options: ApplyLayerOptions): Promise<LayerStats> {
  const { stream } = await decompress(source);
  return applyWith(options, async (applier, parser, count) => {
    for await (const received of stream) {
      count(received.length);
      for (let from = 0; from < received.length; from += MAX_APPEND) {
        const chunk = from === 0 && received.length <= MAX_APPEND ? received : received.subarray(from, from + MAX_APPEND);
        applier.take(chunk);
        parser.write(chunk);
      }
    }
  });
}

/** An uncompressed layer from an open file: read in place (see LayerSource). */
function applyFile(fd: number, options: ApplyLayerOptions): Promise<LayerStats> {
  return applyWith(options, async (applier, parser, count) => {
    applier.readingFile(fstatSync(fd).size);
    for (let n = 1; ; n++) {
      const chunk = applier.read(fd);
      if (chunk === undefined) break;
      count(chunk.length);
      parser.write(chunk);
      if (n % YIELD_EVERY_CHUNKS === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  });
}

/**
 * Applies what `feed` hands the applier and the parser (counting every byte with `count`,
 * which enforces the size limit), then finishes the layer; on failure the applier lets go.
 */
async function applyWith(
  options: ApplyLayerOptions,
  feed: (applier: LayerApplier, parser: TarParser, count: (bytes: number) => void) => Promise<void>,
): Promise<LayerStats> {
  const applier = new LayerApplier(options.target, options.whiteouts, options.owner, options.secondThreadAfter ?? SECOND_THREAD_AFTER, options.computeDiffId !== false);
  const parser = new TarParser(applier);
  const max = options.maxTarSize ?? Infinity;
  let tarSize = 0;
  let diffId: string;
  try {
    await feed(applier, parser, (bytes) => {
      tarSize += bytes;
      if (tarSize > max) throw tooLarge(max);
    });
    parser.end();
    diffId = applier.finish();
  } catch (err) {
    applier.abort();
    throw err;
  }
  return { diffId: diffId === '' ? '' : `sha256:${diffId}`, size: applier.size.total, tarSize };
}

function tooLarge(max: number): StrataError {
  return invalidArgument(`layer is larger than the ${max} bytes allowed (uncompressed)`);
}

interface OpenFile {
  /** -1 when the file was queued to the writer thread. */
  fd: number;
  rel: string;
  header: TarHeader;
  /** open(2) already gave the file its exact mode. */
  modeSet: boolean;
}

/** Names in messages: long ones keep their start and end. */
function shorten(name: string): string {
  return name.length <= 300 ? name : `${name.slice(0, 150)}…(${name.length} chars)…${name.slice(-100)}`;
}

/** Node turns negative numbers into "now"; a Date keeps pre-1970 times. */
function time(seconds: number): number | Date {
  return seconds >= 0 ? seconds : new Date(seconds * 1000);
}

/** The process umask, read once from /proc (process.umask() without arguments is deprecated). */
let cachedUmask: number | undefined;
function umask(): number {
  if (cachedUmask === undefined) {
    try {
      const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
      cachedUmask = m === null ? -1 : parseInt(m[1]!, 8);
    } catch {
      cachedUmask = -1;
    }
  }
  return cachedUmask;
}

/** A '.' or '..' component anywhere in a name. */
const DOT_COMPONENT = /(^|\/)\.\.?(\/|$)/;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const IS_ROOT = process.getuid?.() === 0;
/** A layer goes to the second thread once its stream passes this size: below it the thread costs more than it saves. */
const SECOND_THREAD_AFTER = 2 << 20;

/**
 * The parser handlers that turn entries into files, with synchronous fs calls, and the hash
 * of the stream. A large layer applied to an empty target moves the hash and its new regular
 * files to a second thread (file-sink.ts); anything else that touches a path still queued
 * there, or walks or removes part of the tree, first waits for the thread to catch up.
 */
class LayerApplier implements TarParserHandlers {
  readonly size = new LayerSize();
  private readonly root: RootPath;
  private readonly dirTimes = new Map<string, number>();
  /** Real paths this layer created (native mode: what an opaque whiteout keeps). */
  private readonly created = new Set<string>();
  private file: OpenFile | undefined;
  private where = '';
  /** The target was empty, so a path nobody in this layer touched does not exist. */
  private readonly startedEmpty: boolean;
  /** Every real path this layer made (only kept when `startedEmpty`). */
  private readonly touched = new Set<string>();
  private sink: FileSink | undefined;
  /** Paths queued to the sink since it last drained. */
  private readonly queued = new Set<string>();
  /** The sink may still start: a large layer into a target that started empty. */
  private sinkMayStart: boolean;
  /** Without a sink: the stream's hash, and the chunks not yet hashed (kept while the sink may still start). */
  private readonly hash = createHash('sha256');
  private unhashed: Uint8Array[] = [];
  private streamBytes = 0;
  /** Reused for every read of a layer file that does not go through the sink. */
  private readBuffer: Buffer | undefined;
  /** The chunk being parsed and its offset in the stream. */
  private chunk: Uint8Array | undefined;
  private chunkOffset = 0;

  constructor(
    target: string,
    private readonly mode: WhiteoutMode,
    private readonly owner: { uid: number; gid: number } | undefined,
    private readonly secondThreadAfter: number,
    private readonly hashing: boolean,
  ) {
    this.startedEmpty = readdirSync(target).length === 0;
    this.sinkMayStart = this.startedEmpty && secondThreadAfter !== Infinity;
    this.root = new RootPath(target, {
      beforeWalk: () => this.drain(),
      madeDirectory: (real) => {
        if (this.startedEmpty) this.touched.add(real);
      },
    });
  }

  onEntry(h: TarHeader): void {
    this.where = `layer entry ${JSON.stringify(shorten(h.name))}`;
    if (this.owner !== undefined) {
      h.uid = this.owner.uid;
      h.gid = this.owner.gid;
    }
    try {
      this.entry(h);
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** The next chunk of the stream, before the parser sees it: hashed, here or by the sink. */
  take(chunk: Uint8Array): void {
    this.streamBytes += chunk.length;
    if (this.sinkMayStart && this.streamBytes > this.secondThreadAfter) {
      // Large enough: the sink takes over the hash, from the first byte.
      this.sink = new FileSink(this.hashing);
      if (this.hashing) for (const c of this.unhashed) this.sink.append(c);
      this.unhashed = [];
      this.sinkMayStart = false;
    }
    if (this.sink !== undefined) {
      this.chunk = chunk;
      this.chunkOffset = this.sink.append(chunk);
    } else if (this.hashing) {
      if (this.sinkMayStart) this.unhashed.push(chunk);
      else this.hash.update(chunk);
    }
  }

  /**
   * The layer comes from a file of `size` bytes, read with `read`: the threads start now when
   * it is large enough, as nothing read is kept (each read reuses the same memory).
   */
  readingFile(size: number): void {
    if (this.sinkMayStart && size > this.secondThreadAfter) this.sink = new FileSink(this.hashing);
    this.sinkMayStart = false;
  }

  /** The next chunk of a layer file (see `readingFile`), hashed here or by the sink; undefined at its end. */
  read(fd: number): Buffer | undefined {
    if (this.sink !== undefined) {
      const r = this.sink.readFrom(fd, FILE_CHUNK);
      if (r === undefined) return undefined;
      this.chunk = r.chunk;
      this.chunkOffset = r.offset;
      this.streamBytes += r.chunk.length;
      return r.chunk;
    }
    const buffer = (this.readBuffer ??= Buffer.allocUnsafeSlow(FILE_CHUNK));
    const n = readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) return undefined;
    const chunk = buffer.subarray(0, n);
    this.streamBytes += n;
    if (this.hashing) this.hash.update(chunk);
    return chunk;
  }

  onData(chunk: Buffer): void {
    const f = this.file;
    if (f === undefined) return; // a body nobody wants (an aufs metadata entry)
    if (f.fd < 0) {
      // A slice of the chunk being parsed: the sink has its bytes already.
      this.sink!.write(this.chunkOffset + chunk.byteOffset - this.chunk!.byteOffset, chunk.length);
      return;
    }
    try {
      let off = 0;
      while (off < chunk.length) off += writeSync(f.fd, chunk, off, chunk.length - off);
    } catch (err) {
      throw this.wrap(err);
    }
  }

  onEntryEnd(): void {
    const f = this.file;
    if (f === undefined) return;
    this.file = undefined;
    if (f.fd < 0) {
      this.sink!.close();
      return;
    }
    try {
      const h = f.header;
      if (h.uid !== 0 || h.gid !== 0 || !IS_ROOT) fchownSync(f.fd, h.uid, h.gid);
      if (!f.modeSet) fchmodSync(f.fd, h.mode); // after chown, which clears setuid/setgid
      // xattrs after chown and after the data: both clear security.capability.
      this.setXattrs(f.rel, h);
      futimesSync(f.fd, time(h.mtime), time(h.mtime));
    } catch (err) {
      throw this.wrap(err);
    } finally {
      closeSync(f.fd);
    }
  }

  /** Sets directory mtimes, last, so creating their children cannot disturb them; returns the stream's sha256 (hex). */
  finish(): string {
    let digest: string;
    if (this.sink !== undefined) {
      this.queued.clear();
      digest = this.sink.digest();
      this.sink.release();
      this.sink = undefined;
    } else if (this.hashing) {
      for (const c of this.unhashed) this.hash.update(c);
      digest = this.hash.digest('hex');
    } else {
      digest = '';
    }
    for (const [rel, mtime] of this.dirTimes) {
      try {
        lutimesSync(this.root.abs(rel), time(mtime), time(mtime));
      } catch (err) {
        throw fromSystemError(err, `setting the mtime of ${JSON.stringify(rel)}`);
      }
    }
    return digest;
  }

  abort(): void {
    if (this.file !== undefined && this.file.fd >= 0) closeSync(this.file.fd);
    this.file = undefined;
    // The caller removes the target next: the writer thread must be done with it.
    this.sink?.release();
    this.sink = undefined;
  }

  /** Waits until the second thread has written every file queued to it. */
  private drain(): void {
    if (this.queued.size === 0) return;
    this.queued.clear();
    this.sink!.drain();
  }

  private entry(h: TarHeader): void {
    const { parentKey, base } = this.split(h);
    if (base === undefined) {
      if (h.type !== 'directory') throw invalidArgument(`${this.where}: only a directory can name the layer root`);
      this.setMeta('', h);
      return;
    }
    if (this.mode !== 'none' && base.startsWith(WHITEOUT_PREFIX)) {
      this.drain();
      this.whiteout(h, parentKey, base);
      return;
    }
    const parent = this.root.resolveDirKey(parentKey, true, this.where);
    const rel = parent === '' ? base : `${parent}/${base}`;
    this.create(rel, h, parentKey);
    if (this.startedEmpty) this.touched.add(rel);
    // The next entries are likely inside this directory: spare them the walk from the root.
    if (h.type === 'directory') this.root.rememberKey(parentKey === '' ? base : `${parentKey}/${base}`, rel);
    if (this.mode === 'native') this.created.add(rel);
  }

  /**
   * The entry's clean name as its parent's key (components joined by '/', '' for the root) and
   * its last component (undefined when the name is the root itself); refuses names past PATH_MAX.
   */
  private split(h: TarHeader): { parentKey: string; base: string | undefined } {
    let name = h.nameBytes.toString('latin1');
    if (name.endsWith('/')) name = name.slice(0, -1);
    if (name === '' || name.startsWith('/') || name.endsWith('/') || name.includes('//') || DOT_COMPONENT.test(name)) {
      // Not already clean (most names are): clean it component by component.
      const comps = cleanComponents(h.nameBytes, this.where);
      name = comps.join('/');
    }
    if (this.root.root.length + 1 + name.length >= PATH_MAX) {
      throw invalidArgument(`${this.where}: path is longer than the ${PATH_MAX} bytes Linux allows`);
    }
    if (name === '') return { parentKey: '', base: undefined };
    const slash = name.lastIndexOf('/');
    return slash < 0 ? { parentKey: '', base: name } : { parentKey: name.slice(0, slash), base: name.slice(slash + 1) };
  }

  private create(rel: string, h: TarHeader, parentKey: string): void {
    const abs = this.root.abs(rel);
    if (h.type === 'file' && this.sink !== undefined && h.xattrs.size === 0 && !this.touched.has(rel)) {
      // A new path in a tree that started empty: nothing there to replace, so the thread may create it.
      const chown = h.uid !== 0 || h.gid !== 0 || !IS_ROOT;
      const exact = this.openModeIsExact(h);
      this.sink!.open(this.where, abs, exact ? h.mode : 0o600, exact ? -1 : h.mode, chown ? h.uid : -1, h.gid, h.mtime);
      this.queued.add(rel);
      this.file = { fd: -1, rel, header: h, modeSet: exact };
      this.size.add(rel, h.size);
      return;
    }
    if (this.queued.has(rel)) this.drain();
    switch (h.type) {
      case 'file': {
        const exact = this.openModeIsExact(h);
        const initial = exact ? h.mode : 0o600;
        let fd: number;
        try {
          fd = openSync(abs, CREATE_FLAGS, initial);
        } catch (err) {
          if (errnoOf(err) !== 'EEXIST') throw err;
          this.replace(rel, false);
          fd = openSync(abs, CREATE_FLAGS, initial);
        }
        this.file = { fd, rel, header: h, modeSet: exact };
        this.size.add(rel, h.size);
        return;
      }
      case 'directory': {
        try {
          mkdirSync(abs, 0o700);
        } catch (err) {
          if (errnoOf(err) !== 'EEXIST') throw err;
          this.replace(rel, true);
        }
        this.setMeta(rel, h);
        return;
      }
      case 'symlink': {
        if (!h.linknameBytes.toString('latin1').startsWith('/')) {
          // As docker: a relative target that climbs out of the root is refused outright.
          const joined = Buffer.concat([Buffer.from(parentKey, 'latin1'), Buffer.from('/'), h.linknameBytes]);
          try {
            cleanComponents(joined, this.where);
          } catch {
            throw invalidArgument(`${this.where}: symlink target ${JSON.stringify(h.linkname)} points outside the layer root`);
          }
        }
        this.replace(rel, false);
        symlinkSync(h.linknameBytes, abs);
        this.size.add(rel, h.linknameBytes.length);
        this.setMeta(rel, h);
        return;
      }
      case 'hardlink': {
        this.drain(); // its target may be a file still being written
        let linkComps: string[];
        try {
          linkComps = cleanComponents(h.linknameBytes, this.where);
        } catch {
          throw invalidArgument(`${this.where}: hardlink target ${JSON.stringify(h.linkname)} points outside the layer root`);
        }
        if (linkComps.length === 0) throw invalidArgument(`${this.where}: hardlink to the layer root`);
        const targetParent = this.resolveExisting(linkComps.slice(0, -1).join('/'));
        if (targetParent === undefined) throw invalidArgument(`${this.where}: hardlink target ${JSON.stringify(h.linkname)} does not exist`);
        const last = linkComps[linkComps.length - 1]!;
        const targetRel = targetParent === '' ? last : `${targetParent}/${last}`;
        const target = lstatSync(this.root.abs(targetRel), { throwIfNoEntry: false });
        if (target === undefined) throw invalidArgument(`${this.where}: hardlink target ${JSON.stringify(h.linkname)} does not exist`);
        if (target.isDirectory()) throw invalidArgument(`${this.where}: hardlink target ${JSON.stringify(h.linkname)} is a directory`);
        if (targetRel === rel) return; // a link to itself: already there
        this.replace(rel, false);
        linkSync(this.root.abs(targetRel), abs);
        if (!this.size.link(rel, targetRel)) this.size.add(rel, target.size);
        // A hardlink to a symlink is a symlink: chmod would follow it, perhaps out of the target.
        this.setMeta(rel, h, target.isSymbolicLink());
        return;
      }
      case 'char':
      case 'block':
      case 'fifo':
        this.replace(rel, false);
        mknod(abs, h.type, 0o600, h.devmajor, h.devminor);
        this.setMeta(rel, h);
        return;
      default:
        throw invalidArgument(`${this.where}: unsupported entry type ${JSON.stringify(h.typeflag)}`);
    }
  }

  /** When open's mode survives the umask and no chown follows, the file is created with its exact mode. */
  private openModeIsExact(h: TarHeader): boolean {
    const mask = umask();
    return mask >= 0 && (h.mode & 0o7000) === 0 && (h.mode & ~mask) === h.mode && h.uid === 0 && h.gid === 0 && IS_ROOT;
  }

  /**
   * Clears the way for a new entry at `rel`: an existing directory stays when the new entry
   * is a directory too (its children merge), anything else is removed (never written through).
   */
  private replace(rel: string, keepDirectory: boolean): void {
    const st = lstatSync(this.root.abs(rel), { throwIfNoEntry: false });
    if (st === undefined) return;
    if (st.isDirectory()) {
      if (keepDirectory) return;
      this.remove(rel, true);
    } else {
      this.remove(rel, false);
      if (keepDirectory) mkdirSync(this.root.abs(rel), 0o700);
    }
  }

  private remove(rel: string, isDirectory: boolean): void {
    this.drain();
    const abs = this.root.abs(rel);
    if (isDirectory) {
      removeTree(abs);
      this.size.removeTree(rel);
      const prefix = `${rel}/`;
      for (const key of [...this.dirTimes.keys()]) if (key === rel || key.startsWith(prefix)) this.dirTimes.delete(key);
    } else {
      unlinkSync(abs);
      this.size.remove(rel);
    }
    this.root.invalidate();
  }

  private whiteout(h: TarHeader, parentKey: string, base: string): void {
    if (base === OPAQUE_WHITEOUT) {
      if (this.mode === 'overlay') {
        const dir = this.root.resolveDirKey(parentKey, true, this.where);
        lsetxattr(this.root.abs(dir), 'trusted.overlay.opaque', Buffer.from('y'));
      } else {
        const dir = this.resolveExisting(parentKey);
        if (dir !== undefined) this.clearExcept(dir);
      }
      return;
    }
    if (base.startsWith(RESERVED_WHITEOUT_PREFIX)) return; // aufs metadata (.wh..wh.plnk …): skipped, as docker does
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw invalidArgument(`${this.where}: invalid whiteout name`);
    if (this.mode === 'overlay') {
      const dir = this.root.resolveDirKey(parentKey, true, this.where);
      const rel = dir === '' ? victim : `${dir}/${victim}`;
      this.replace(rel, false);
      mknod(this.root.abs(rel), 'char', 0, 0, 0);
      if (this.startedEmpty) this.touched.add(rel);
      const abs = this.root.abs(rel);
      if (h.uid !== 0 || h.gid !== 0 || !IS_ROOT) lchownSync(abs, h.uid, h.gid);
      lutimesSync(abs, time(h.mtime), time(h.mtime));
      return;
    }
    const dir = this.resolveExisting(parentKey);
    if (dir === undefined) return; // nothing there to delete
    const rel = dir === '' ? victim : `${dir}/${victim}`;
    const st = lstatSync(this.root.abs(rel), { throwIfNoEntry: false });
    if (st !== undefined) this.remove(rel, st.isDirectory());
  }

  /** The real path of an existing directory (by its key: see `split`), or undefined when it does not exist. */
  private resolveExisting(key: string): string | undefined {
    try {
      return this.root.resolveDirKey(key, false, this.where);
    } catch (err) {
      if (err instanceof PathInRootError && err.errno === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Native opaque whiteout: remove every child of `dir` this layer did not create. */
  private clearExcept(dir: string): void {
    for (const name of readdirSync(this.root.abs(dir), { encoding: 'buffer' })) {
      const child = dir === '' ? name.toString('latin1') : `${dir}/${name.toString('latin1')}`;
      const st = lstatSync(this.root.abs(child));
      if (this.created.has(child)) {
        if (st.isDirectory()) this.clearExcept(child);
      } else {
        this.remove(child, st.isDirectory());
      }
    }
  }

  /** Owner, mode, xattrs and mtime of a non-file entry (directories' mtimes wait for `finish`). */
  private setMeta(rel: string, h: TarHeader, isSymlink = h.type === 'symlink'): void {
    const abs = this.root.abs(rel);
    // New entries are root-owned already; existing directories and hardlinked inodes may not be.
    if (h.uid !== 0 || h.gid !== 0 || !IS_ROOT || h.type === 'directory' || h.type === 'hardlink') lchownSync(abs, h.uid, h.gid);
    if (!isSymlink) chmodSync(abs, h.mode); // after chown; `abs` is known not to be a symlink, so nothing is followed
    this.setXattrs(rel, h);
    if (h.type === 'directory') this.dirTimes.set(rel, h.mtime);
    else lutimesSync(abs, time(h.mtime), time(h.mtime));
  }

  private setXattrs(rel: string, h: TarHeader): void {
    if (h.xattrs.size === 0) return;
    const abs = this.root.abs(rel);
    for (const [name, value] of h.xattrs) {
      try {
        lsetxattr(abs, name, value);
      } catch (err) {
        // As docker: a filesystem without xattr support drops them rather than failing the layer.
        if (err instanceof StrataError && err.code === 'unavailable') continue;
        throw err;
      }
    }
  }

  private wrap(err: unknown): StrataError {
    if (err instanceof StrataError) {
      // A failure of the second thread names the entry it was writing.
      if (err.message.includes(this.where) || err.message.startsWith('layer entry ')) return err;
      return new StrataError(err.code, `${this.where}: ${err.message}`, { cause: err.cause ?? err, hint: err.hint });
    }
    return fromSystemError(err, this.where);
  }
}
