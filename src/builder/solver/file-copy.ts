/**
 * COPY and ADD without a container: source trees (the context, a stage, an image) copied
 * into a build step's mounted root filesystem with the semantics of BuildKit's file op
 * (tonistiigi/fsutil's copy):
 *
 * - a source directory's contents are copied, not the directory itself;
 * - the destination's parents are created (0755, or the `--chmod` mode; owned by `--chown`);
 * - a file copied onto an existing directory lands inside it; onto a file, replaces it;
 * - copied directories merge with existing ones; a file never replaces a directory;
 * - owners are kept (`--chown` replaces them; context files are root's), modes are kept
 *   (`--chmod` replaces or edits them), mtimes are kept, hard links inside one source stay
 *   links, extended attributes are copied where the target accepts them.
 *
 * Every destination path is resolved inside the root filesystem (a symlink in the image
 * never sends a write outside it), and an existing entry is replaced by unlinking it first,
 * never written through.
 */
import type { Stats } from 'node:fs';
import {
  chmodSync, constants, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, unlinkSync,
} from 'node:fs';
import { posix } from 'node:path';
import { errnoOf, fromSystemError, invalidArgument, notFound } from '../../errdefs/index.ts';
import { walkInRoot, type TreeView } from '../../internal/index.ts';
import { lgetxattrs, lsetxattr, mknod, splitDev } from '../../internal/sys/index.ts';
import { readRootfsFile, resolveInRootfs } from '../../runtime/index.ts';
import type { ContextEntry, ContextFs, EntryStat } from '../context/context-fs.ts';
import { goMatch, hasWildcards } from '../context/glob.ts';
import type { IgnoreMatcher, MatchInfo } from '../context/ignore.ts';
import type { ChmodSpec } from '../dockerfile/index.ts';

/** One entry to copy: where it sits below the copied source, and whether only as a parent of included entries. */
export interface PlannedEntry {
  entry: ContextEntry;
  /** Slash path below the source top ('' for the top itself). */
  rel: string;
  /** A directory copied only because an included entry is inside it (`--parents` patterns). */
  parentOnly: boolean;
}

/** One matched source (a wildcard may match several) with everything under it that is copied. */
export interface PlannedSource {
  /** The source path as matched, relative to the tree root. */
  path: string;
  top: ContextEntry;
  entries: PlannedEntry[];
}

/** BuildKit's cleanPath: absolute, cleaned, a trailing `/` or `/.` kept. */
export function cleanCopyPath(p: string): string {
  const joined = posix.join('/', p).replace(/(.)\/+$/, '$1');
  if (p.endsWith('/.')) return joined === '/' ? '/.' : `${joined}/.`;
  if (p.endsWith('/') && joined !== '/') return `${joined}/`;
  return joined;
}

/** fsutil's splitWildcards: the part before the first component with a wildcard, and the rest. */
function splitWildcards(p: string): [string, string] {
  const parts = posix.join(p).split('/');
  const before: string[] = [];
  const after: string[] = [];
  let found = false;
  for (const part of parts) {
    if (!found && hasWildcards(part)) found = true;
    (found ? after : before).push(part === '' ? '/' : part);
  }
  return [posix.join(...(before.length > 0 ? before : ['/'])), after.length > 0 ? posix.join(...after) : ''];
}

/**
 * The entries a source path names in a tree: itself (its top symlink followed when
 * `followSymlinks`), or every match of a wildcard (an entry that matches is taken whole).
 * @throws not-found `"/x": not found` for a plain path that is not there
 */
export function matchSource(fs: ContextFs, sourcePath: string, options: { followSymlinks: boolean; allowWildcard: boolean }): { path: string; top: ContextEntry }[] {
  const clean = cleanCopyPath(sourcePath);
  const rel = posix.join(clean).replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.$/, '');
  const [dir, pattern] = options.allowWildcard ? splitWildcards(clean) : [clean, ''];
  if (pattern === '') {
    const top = options.followSymlinks ? fs.resolve(rel) : fs.get(rel);
    if (top === undefined) throw notFound(`"${posix.join('/', rel)}": not found`);
    return [{ path: rel, top }];
  }
  const base = fs.resolve(dir.replace(/^\/+/, ''));
  if (base === undefined || !base.st.isDirectory()) return [];
  const out: { path: string; top: ContextEntry }[] = [];
  const walk = (d: ContextEntry, prefix: string): void => {
    for (const child of fs.children(d)) {
      const name = child.rel.slice(child.rel.lastIndexOf('/') + 1);
      const relToBase = prefix === '' ? name : `${prefix}/${name}`;
      if (goMatch(pattern, relToBase)) {
        let top: ContextEntry | undefined = child;
        if (options.followSymlinks && child.st.isSymbolicLink()) top = fs.resolve(child.rel);
        if (top !== undefined) out.push({ path: child.rel, top });
        continue;
      }
      if (child.st.isDirectory()) walk(child, relToBase);
    }
  };
  walk(base, '');
  return out;
}

/**
 * Everything under a matched source that the copy takes, in walk order, with `--exclude` and
 * `--parents` include patterns applied as fsutil applies them.
 */
export function planSource(fs: ContextFs, match: { path: string; top: ContextEntry }, filters: { excludes?: IgnoreMatcher; includes?: IgnoreMatcher }): PlannedSource {
  const entries: PlannedEntry[] = [{ entry: match.top, rel: '', parentOnly: false }];
  if (match.top.st.isDirectory()) {
    const pendingParents: PlannedEntry[] = [];
    const walk = (dir: ContextEntry, rel: string, includeInfo: MatchInfo | undefined, excludeInfo: MatchInfo | undefined, depth: number): void => {
      for (const child of fs.children(dir)) {
        const name = child.rel.slice(child.rel.lastIndexOf('/') + 1);
        const childRel = rel === '' ? name : `${rel}/${name}`;
        let include = true;
        let excluded = false;
        let inc: MatchInfo | undefined;
        let exc: MatchInfo | undefined;
        if (filters.includes !== undefined) {
          const r = filters.includes.matchesUsingParentResults(childRel, includeInfo);
          include = r.matched;
          inc = r.info;
        }
        if (filters.excludes !== undefined) {
          const r = filters.excludes.matchesUsingParentResults(childRel, excludeInfo);
          exc = r.info;
          if (r.matched) {
            include = false;
            excluded = true;
          }
        }
        const isDir = child.st.isDirectory();
        if (!include && !isDir) continue;
        if (include) {
          for (const p of pendingParents.splice(0)) entries.push(p);
          entries.push({ entry: child, rel: childRel, parentOnly: false });
        }
        if (!isDir) continue;
        if (excluded && !(filters.excludes?.exclusions ?? false)) continue;
        const mark = pendingParents.length;
        if (!include) pendingParents.push({ entry: child, rel: childRel, parentOnly: true });
        walk(child, childRel, inc, exc, depth + 1);
        // Parents that nothing inside needed are dropped.
        pendingParents.length = Math.min(pendingParents.length, mark);
      }
    };
    walk(match.top, '', undefined, undefined, 0);
  }
  return { path: match.path, top: match.top, entries };
}

export interface CopyTarget {
  /** The root filesystem written to. */
  root: CopyRoot;
  /** The destination as a cleaned container path (trailing `/` kept: a directory). */
  dest: string;
  /** Copy a source directory's contents (COPY and ADD), not the directory. */
  copyDirContents: boolean;
  /** Owner for everything copied and every directory created; undefined keeps the source's. */
  chown?: { uid: number; gid: number };
  /** Context files belong to root (BuildKit's context transfer resets owners). */
  resetOwner: boolean;
  chmod?: ChmodSpec;
  /** mtime for directories this copy creates (SOURCE_DATE_EPOCH); now when absent. */
  createdTime?: Date;
}

interface CopyState {
  target: CopyTarget;
  /** Source inode → destination path, for hard links inside one source. */
  inodes: Map<number, string>;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return undefined;
    throw fromSystemError(err, `stat ${path}`);
  }
}

/**
 * Where a copy writes. `resolve` maps a container path to the host path to write, following
 * symlinks as the container would see them (never out of the root); `lstat` sees what the
 * container would see at a host path `resolve` returned (or a path below one); `prepareDir`
 * makes a directory that the container sees ready to hold new entries.
 */
export interface CopyRoot {
  resolve(containerPath: string): string;
  lstat(host: string): Stats | undefined;
  prepareDir(host: string): void;
  /** A regular file's content at a container path (`/etc/passwd`), if there is one. */
  read(containerPath: string): Buffer | undefined;
  /** Records a directory the copy made (`freshDir`: no lower layer had one there). */
  noteCreated(host: string, freshDir: boolean): void;
  /** The host path of the root directory. */
  readonly top: string;
}

/** A mounted (or plain) root filesystem: what is there is what the container sees. */
export class PlainRoot implements CopyRoot {
  constructor(readonly top: string) {}

  resolve(containerPath: string): string {
    return resolveInRootfs(this.top, containerPath);
  }

  lstat(host: string): Stats | undefined {
    return lstatOrUndefined(host);
  }

  prepareDir(): void {
    // Nothing to do: the directory is there.
  }

  read(containerPath: string): Buffer | undefined {
    return readRootfsFile(this.top, containerPath);
  }

  noteCreated(): void {
    // Nothing to remember.
  }
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/**
 * An overlay snapshot's upper directory, written directly (the snapshot is not mounted), with
 * a read-only view of the layers below for what the container would see there. New entries
 * go into the upper directory; a directory of a lower layer that gets new entries is first
 * copied up (same mode, owner, times and xattrs), as overlayfs copies it up; a file of a lower
 * layer is shadowed by the new one. Writing here is several times faster than through an
 * overlay mount, and gives the same layer.
 */
export class OverlayRoot implements CopyRoot {
  /*
   * top: the upper directory (empty, not mounted); lower: the mounted read-only view of the
   * layers below, or undefined for none.
   */
  /** Directories made in the upper directory where no lower layer has one: nothing below them is lower. */
  private readonly fresh = new Set<string>();
  /** Directories known to be in the upper directory (made or copied up). */
  private readonly ready = new Set<string>();

  private readonly lower: string | undefined;

  /**
   * @param readLower the same view, read only for `read` (`COPY --link`: the layer is made
   *   as if nothing were below it, but `--chown` names are still looked up in the image)
   */
  constructor(
    readonly top: string,
    lower: string | undefined,
    private readonly readLower?: string,
  ) {
    this.lower = lower;
    this.ready.add(top);
    if (lower === undefined) this.fresh.add(top);
  }

  /** Whether `host` lies below a directory this layer made fresh (no lower lookup needed). */
  private underFresh(host: string): boolean {
    for (let d = posix.dirname(host); d.length >= this.top.length; d = posix.dirname(d)) {
      if (this.fresh.has(d)) return true;
      if (d === this.top) break;
    }
    return false;
  }

  noteCreated(host: string, freshDir: boolean): void {
    this.ready.add(host);
    if (freshDir) this.fresh.add(host);
  }

  private rel(host: string): string {
    if (host === this.top) return '';
    if (!host.startsWith(`${this.top}/`)) throw invalidArgument(`internal: ${host} is not in ${this.top}`);
    return host.slice(this.top.length + 1);
  }

  private lowerPath(rel: string): string | undefined {
    if (this.lower === undefined) return undefined;
    return rel === '' ? this.lower : `${this.lower}/${rel}`;
  }

  lstat(host: string): Stats | undefined {
    const up = lstatOrUndefined(host);
    if (up !== undefined) return isWhiteout(up) ? undefined : up;
    // Below a directory made in the upper layer there is nothing from the lower ones.
    if (this.underFresh(host)) return undefined;
    const rel = this.rel(host);
    const low = this.lowerPath(rel);
    if (low === undefined) return undefined;
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = lstatOrUndefined(`${this.top}/${parts.slice(0, i).join('/')}`);
      if (dir !== undefined && !dir.isDirectory()) return undefined;
    }
    return lstatOrUndefined(low);
  }

  resolve(containerPath: string): string {
    const rel = walkInRoot(this.view, containerPath, { what: `resolve ${containerPath}`, rootBytes: Buffer.byteLength(this.top) });
    return rel === '' ? this.top : `${this.top}/${rel}`;
  }

  /** What the container would see, as the one path resolver walks a tree: the upper directory over the lower view. */
  private readonly view: TreeView = {
    kind: (rel) => {
      const st = this.lstat(rel === '' ? this.top : `${this.top}/${rel}`);
      if (st === undefined) return undefined;
      return st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
    },
    readlink: (rel) => {
      const up = `${this.top}/${rel}`;
      return readlinkSync(lstatOrUndefined(up) !== undefined ? up : (this.lowerPath(rel) as string));
    },
  };

  read(containerPath: string): Buffer | undefined {
    if (this.readLower !== undefined) return readRootfsFile(this.readLower, containerPath);
    const host = this.resolve(containerPath);
    const st = this.lstat(host);
    if (st === undefined || !st.isFile()) return undefined;
    const path = lstatOrUndefined(host) !== undefined ? host : this.lowerPath(this.rel(host));
    return path === undefined ? undefined : readFileSync(path);
  }

  prepareDir(host: string): void {
    if (this.ready.has(host)) return;
    const rel = this.rel(host);
    if (rel === '') return;
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      const up = `${this.top}/${sub}`;
      if (this.ready.has(up)) continue;
      if (lstatOrUndefined(up) !== undefined) {
        this.ready.add(up);
        continue;
      }
      const low = this.lowerPath(sub);
      const st = low === undefined ? undefined : lstatOrUndefined(low);
      if (st === undefined || !st.isDirectory() || low === undefined) return;
      // Copy up: the directory with its metadata, so the layer changes nothing about it.
      mkdirSync(up, { mode: st.mode & 0o7777 });
      chmodSync(up, st.mode & 0o7777);
      lchownSync(up, st.uid, st.gid);
      try {
        for (const [name, value] of lgetxattrs(low)) if (!name.startsWith('trusted.overlay.')) lsetxattr(up, name, value);
      } catch {
        // no xattrs here
      }
      lutimesSync(up, st.atimeMs / 1000, st.mtimeMs / 1000);
      this.ready.add(up);
    }
  }
}

/** fsutil's MkdirAll inside the root: missing directories get `mode`, the owner, and the time. */
export function mkdirAllInRoot(root: CopyRoot, containerPath: string, options: { mode: number; chown?: { uid: number; gid: number }; createdTime?: Date }): void {
  const parts = containerPath.split('/').filter((p) => p !== '' && p !== '.');
  let current = '/';
  for (const part of parts) {
    current = posix.join(current, part);
    const host = root.resolve(current);
    const st = root.lstat(host);
    if (st !== undefined) {
      if (!st.isDirectory()) throw invalidArgument(`mkdir ${current}: not a directory`);
      continue;
    }
    // A dangling symlink resolves to a path whose parents may be missing too: create them all.
    const chain: string[] = [];
    for (let p = host; p.length > root.top.length && root.lstat(p) === undefined; p = posix.dirname(p)) chain.unshift(p);
    if (chain[0] !== undefined) root.prepareDir(posix.dirname(chain[0]));
    for (const dir of chain) {
      try {
        mkdirSync(dir, { mode: options.mode });
      } catch (err) {
        if (errnoOf(err) === 'ENOTDIR') throw invalidArgument(`mkdir ${current}: not a directory`);
        if (errnoOf(err) !== 'EEXIST') throw fromSystemError(err, `mkdir ${current}`);
        continue;
      }
      chmodSync(dir, options.mode);
      if (options.chown !== undefined) lchownSync(dir, options.chown.uid, options.chown.gid);
      const t = options.createdTime ?? new Date();
      lutimesSync(dir, t, t);
      root.noteCreated(dir, true);
    }
  }
}

function modeFor(st: EntryStat, target: CopyTarget): number {
  const mode = st.mode & 0o7777;
  const spec = target.chmod;
  if (spec === undefined) return mode;
  if (spec.kind === 'octal') return spec.mode & 0o7777;
  return spec.apply(mode, st.isDirectory()) & 0o7777;
}

function ownerFor(st: EntryStat, target: CopyTarget): { uid: number; gid: number } {
  if (target.chown !== undefined) return target.chown;
  if (target.resetOwner) return { uid: 0, gid: 0 };
  return { uid: st.uid, gid: st.gid };
}

/** Owner, mode, times and xattrs of the source entry onto `dst`. */
function copyFileInfo(src: ContextEntry, dst: string, target: CopyTarget): void {
  const st = src.st;
  const { uid, gid } = ownerFor(st, target);
  try {
    lchownSync(dst, uid, gid);
    if (!st.isSymbolicLink()) chmodSync(dst, modeFor(st, target));
    lutimesSync(dst, st.atimeMs / 1000, st.mtimeMs / 1000);
  } catch (err) {
    throw fromSystemError(err, `copy file info to ${dst}`);
  }
  try {
    for (const [name, value] of lgetxattrs(src.abs)) {
      if (name.startsWith('trusted.overlay.')) continue;
      try {
        lsetxattr(dst, name, value);
      } catch {
        // BuildKit logs xattrs a target refuses and goes on.
      }
    }
  } catch {
    // No xattr support on the source filesystem.
  }
}

function ensureEmptyFileTarget(root: CopyRoot, dst: string, display: string): void {
  const st = root.lstat(dst);
  if (st !== undefined && st.isDirectory()) throw invalidArgument(`cannot replace to directory ${display} with file`);
  root.prepareDir(posix.dirname(dst));
  // A lower layer's file is shadowed by the new one; only one in this layer is removed.
  if (st !== undefined && lstatOrUndefined(dst) !== undefined) unlinkSync(dst);
}

/** Creates a directory at `dst` unless one is there: true when it was created. */
function copyDirectoryOnly(src: ContextEntry, dst: string, display: string, overwriteMetadata: boolean, target: CopyTarget): boolean {
  const root = target.root;
  const st = root.lstat(dst);
  if (st === undefined) {
    root.prepareDir(posix.dirname(dst));
    mkdirSync(dst, { mode: src.st.mode & 0o7777 });
    root.noteCreated(dst, true);
    return true;
  }
  if (!st.isDirectory()) throw invalidArgument(`cannot copy to non-directory: ${display}`);
  root.prepareDir(dst);
  if (overwriteMetadata) chmodSync(dst, modeFor(src.st, target));
  return false;
}

function copyOne(state: CopyState, planned: PlannedEntry, dst: string, display: string, isTop: boolean): void {
  const { entry } = planned;
  const st = entry.st;
  if (st.isDirectory()) {
    const created = copyDirectoryOnly(entry, dst, display, !isTop, state.target);
    if (planned.parentOnly) {
      if (created) copyFileInfo(entry, dst, state.target);
      return;
    }
    if (created || !isTop) copyFileInfo(entry, dst, state.target);
    return;
  }
  ensureEmptyFileTarget(state.target.root, dst, display);
  try {
    if (st.isFile()) {
      const linked = st.nlink > 1 ? state.inodes.get(st.ino) : undefined;
      if (linked !== undefined) {
        linkSync(linked, dst);
        return;
      }
      copyFileSync(entry.abs, dst, constants.COPYFILE_EXCL);
      if (st.nlink > 1) state.inodes.set(st.ino, dst);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(entry.abs), dst);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = splitDev(st.rdev);
      mknod(dst, st.isCharacterDevice() ? 'char' : 'block', st.mode & 0o7777, major, minor);
    } else if (st.isFIFO()) {
      mknod(dst, 'fifo', st.mode & 0o7777);
    } else {
      return; // sockets are not copied
    }
  } catch (err) {
    throw fromSystemError(err, `copy ${entry.rel} to ${display}`);
  }
  copyFileInfo(entry, dst, state.target);
}

/**
 * Copies one planned source to the target as fsutil's Copy does (its destination rules are
 * described at the top of this file).
 * @throws invalid-argument `cannot copy to non-directory: …`, `cannot replace to directory … with file`
 */
export function copySource(source: PlannedSource, target: CopyTarget): void {
  const state: CopyState = { target, inodes: new Map() };
  const root = target.root;
  const dirMode = target.chmod?.kind === 'octal' ? target.chmod.mode : 0o755;
  const mkdirOptions = { mode: dirMode, ...(target.chown ? { chown: target.chown } : {}), ...(target.createdTime ? { createdTime: target.createdTime } : {}) };
  // The destination's parents.
  const ensure = target.dest.endsWith('/') || target.dest.endsWith('/.') ? target.dest : posix.dirname(target.dest);
  mkdirAllInRoot(root, ensure, mkdirOptions);

  let destPath = posix.join(target.dest);
  const srcIsDir = source.top.st.isDirectory();
  const destSt = followed(root, destPath);
  if ((!target.copyDirContents && srcIsDir && destSt !== undefined) || (!srcIsDir && destSt !== undefined && destSt.isDirectory())) {
    destPath = posix.join(destPath, posix.basename(source.path === '' ? '/' : source.path));
  }
  const parent = target.copyDirContents && srcIsDir && destSt === undefined ? destPath : posix.dirname(destPath);
  mkdirAllInRoot(root, parent, mkdirOptions);
  // fsutil resolves the whole destination, its last component included (a symlink to a
  // directory is copied into; one to a file has its target replaced).
  const dst = root.resolve(destPath);

  for (const planned of source.entries) {
    const isTop = planned.rel === '';
    copyOne(state, planned, isTop ? dst : `${dst}/${planned.rel}`, isTop ? destPath : posix.join(destPath, planned.rel), isTop);
  }
}

/** What the container sees at a path, following symlinks. */
function followed(root: CopyRoot, containerPath: string): Stats | undefined {
  const host = root.resolve(containerPath);
  const st = root.lstat(host);
  return st !== undefined && st.isSymbolicLink() ? undefined : st;
}
