/**
 * The one resolver of "this path inside that root": every path strata reads or writes in a
 * tree it does not trust (a layer being applied, a container's or an image's root filesystem,
 * a build context, a volume) goes through `walkInRoot`, so a container escape has one place to
 * get past, and one test suite (test/unit/internal/path-in-root.test.ts) attacks it.
 *
 * The path is resolved as if the process were chrooted at the root, the way
 * openat2(RESOLVE_IN_ROOT), moby's FollowSymlinkInScope and containerd's fs.RootPath do it:
 * node has neither chroot nor openat, so it walks one component at a time with lstat. A
 * symlink met on the way is followed *inside* the root (an absolute target starts again at
 * the root), `..` stops at the root, and after MAXSYMLINKS links (Linux's 40) the path counts
 * as a loop (ELOOP). Nothing resolved here can name a path outside the root. Names with a NUL
 * byte, a component longer than NAME_MAX or a result longer than PATH_MAX are refused with
 * the error Linux would give, instead of a failing system call later.
 *
 * What resolution cannot do is make the answer stay true: between resolving a path and using
 * it, whoever else writes in the tree may swap a directory on it for a symlink to `/`, and the
 * host path now leads out (CVE-2018-15664, `docker cp` against a running container). A caller
 * that shares the tree with a writer must do one of:
 * - open with O_NOFOLLOW and check what it opened: `openInRoot` does both (the last component
 *   can't be a link, and /proc/self/fd shows that the file opened is the one resolved);
 * - keep the writer still: `cp` freezes a running container while it reads or writes its
 *   files (containers/copy.ts), and `run`, `build` and layer apply resolve in trees nothing
 *   runs in yet.
 */
import { closeSync, constants, lstatSync, openSync, readlinkSync, realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { errnoOf, fromSystemError, StrataError } from '../errdefs/index.ts';

/** Symlinks followed while resolving one path before it counts as a loop: Linux's MAXSYMLINKS. */
export const MAXSYMLINKS = 40;
/** Linux's PATH_MAX: a path this long or longer cannot be used in a system call. */
export const PATH_MAX = 4096;
/** Linux's NAME_MAX: the longest name one path component may have, in bytes. */
export const NAME_MAX = 255;

/** The errno Linux gives for each way a path fails to resolve (EXDEV: it led out of the root, as openat2's RESOLVE_BENEATH says). */
export type PathErrno = 'ELOOP' | 'ENOENT' | 'ENOTDIR' | 'ENAMETOOLONG' | 'EINVAL' | 'EXDEV';

/** A path that does not resolve inside its root: 'not-found' for ENOENT, 'invalid-argument' for the rest. */
export class PathInRootError extends StrataError {
  constructor(
    readonly errno: PathErrno,
    message: string,
  ) {
    super(errno === 'ENOENT' ? 'not-found' : 'invalid-argument', message);
  }
}

/** What a walk tells apart. */
export type EntryKind = 'directory' | 'symlink' | 'other';

/**
 * A tree as the resolver sees it, by real path relative to the root: components joined by
 * '/', no symlink in them, '' for the root itself. Implementations decide what is there
 * (the host filesystem, an overlay's upper and lower directories, a build context with
 * `.dockerignore` applied) and may create what is missing.
 */
export interface TreeView {
  /** The entry at `rel`, not following it; undefined when nothing is there. */
  kind(rel: string): EntryKind | undefined;
  /** The target of the symlink at `rel`. */
  readlink(rel: string): string;
}

export interface WalkOptions {
  /** Names the input in errors: `layer entry "a/b"`, `resolve /etc/passwd in the container's root`. */
  what: string;
  /** Follow a symlink in the last component, as open without O_NOFOLLOW does (default); false: the link itself, as lstat. */
  followLast?: boolean;
  /** The path names a directory, as a trailing '/' says: its last component is followed and must be one. */
  directory?: boolean;
  /**
   * Every component before the last (the last too with `directory`) must be an existing
   * directory, else ENOENT or ENOTDIR, as Linux resolves. By default a missing part and
   * everything after it is taken as written ('..' still stops at the root), so that a caller
   * can create it, as securejoin does.
   */
  existing?: boolean;
  /** Bytes of the root's own host path, which the PATH_MAX check adds in (default 0). */
  rootBytes?: number;
  /** The names are latin1 strings, one char per byte (tar names that may not be UTF-8); default UTF-8. */
  latin1?: boolean;
}

const ASCII = /^[\x00-\x7f]*$/;

function byteLength(s: string, latin1: boolean): number {
  return latin1 || ASCII.test(s) ? s.length : Buffer.byteLength(s);
}

function display(rel: string, latin1: boolean): string {
  return JSON.stringify(latin1 ? Buffer.from(rel, 'latin1').toString('utf8') : rel);
}

/**
 * The real path, relative to the root, of `path` in `tree`: symlinks followed inside the
 * root, '..' stopped at it (see the top of this file). `path` is a slash path (absolute or
 * not, both start at the root) or its components.
 * @throws PathInRootError ELOOP after MAXSYMLINKS links; EINVAL for a NUL byte;
 *   ENAMETOOLONG past NAME_MAX or PATH_MAX; with `existing`, ENOENT and ENOTDIR.
 */
export function walkInRoot(tree: TreeView, path: string | readonly string[], options: WalkOptions): string {
  const latin1 = options.latin1 ?? false;
  const followLast = options.followLast ?? true;
  const directory = options.directory ?? false;
  const existing = options.existing ?? false;
  const rootBytes = options.rootBytes ?? 0;
  const { what } = options;
  // Components still to walk, last first, so a link's target can be pushed on cheaply.
  const todo = (typeof path === 'string' ? path.split('/') : path.slice()).reverse();
  const real: string[] = [];
  let bytes = rootBytes;
  let links = 0;
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      const gone = real.pop();
      if (gone !== undefined) bytes -= byteLength(gone, latin1) + 1;
      continue;
    }
    if (c.includes('\0')) throw new PathInRootError('EINVAL', `${what}: a path component contains a NUL byte`);
    const size = byteLength(c, latin1);
    if (size > NAME_MAX) throw new PathInRootError('ENAMETOOLONG', `${what}: a path component is longer than the ${NAME_MAX} bytes Linux allows`);
    real.push(c);
    bytes += size + 1;
    if (bytes >= PATH_MAX) throw new PathInRootError('ENAMETOOLONG', `${what}: path is longer than the ${PATH_MAX} bytes Linux allows`);
    const rel = real.join('/');
    const kind = tree.kind(rel);
    const last = todo.length === 0;
    if (kind === 'symlink' && (!last || followLast || directory)) {
      if (++links > MAXSYMLINKS) throw new PathInRootError('ELOOP', `${what}: too many levels of symbolic links`);
      const target = tree.readlink(rel);
      real.pop();
      bytes -= size + 1;
      if (target.startsWith('/')) {
        real.length = 0;
        bytes = rootBytes;
      }
      const parts = target.split('/');
      for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]!);
      continue;
    }
    if (kind === 'directory' || (last && !directory) || !existing) continue;
    if (kind === undefined) throw new PathInRootError('ENOENT', `${what}: ${display(rel, latin1)} does not exist`);
    throw new PathInRootError('ENOTDIR', `${what}: ${display(rel, latin1)} is not a directory`);
  }
  return real.join('/');
}

/** The host filesystem under `root`, for `walkInRoot`. */
export class HostTree implements TreeView {
  /** The root, normalized, without a trailing slash ('' for '/'). */
  private readonly base: string;

  constructor(
    root: string,
    private readonly what: string,
  ) {
    this.base = posix.normalize(root).replace(/\/+$/, '');
  }

  /** The host path of a real path relative to the root. */
  abs(rel: string): string {
    if (rel === '') return this.base === '' ? '/' : this.base;
    return `${this.base}/${rel}`;
  }

  get rootBytes(): number {
    return Buffer.byteLength(this.base);
  }

  kind(rel: string): EntryKind | undefined {
    let st;
    try {
      st = lstatSync(this.abs(rel), { throwIfNoEntry: false });
    } catch (err) {
      if (errnoOf(err) === 'ENOTDIR') return undefined;
      throw fromSystemError(err, this.what);
    }
    if (st === undefined) return undefined;
    return st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
  }

  readlink(rel: string): string {
    try {
      return readlinkSync(this.abs(rel));
    } catch (err) {
      throw fromSystemError(err, this.what);
    }
  }
}

export interface ResolveInRootOptions {
  /** Follow a symlink in the last component (default true). */
  followLast?: boolean;
  /** Names the input in errors; default `resolve PATH in ROOT`. */
  what?: string;
}

/**
 * The host path that `path` names inside `root`, resolved as in a chroot at `root`; a missing
 * part is kept as written (for the caller to create). See `walkInRoot`.
 * @throws PathInRootError (ELOOP, EINVAL, ENAMETOOLONG); StrataError from lstat/readlink.
 */
export function resolveInRoot(root: string, path: string, options: ResolveInRootOptions = {}): string {
  const what = options.what ?? `resolve ${path} in ${root}`;
  const tree = new HostTree(root, what);
  const rel = walkInRoot(tree, path, { what, followLast: options.followLast ?? true, rootBytes: tree.rootBytes });
  return tree.abs(rel);
}

/**
 * Opens `path` inside `root`, safe against a tree that changes meanwhile: resolved in the
 * root, then opened by `openResolved`. `flags` are open(2)'s.
 * @returns the file descriptor (the caller closes it)
 * @throws as `walkInRoot` and `openResolved`
 */
export function openInRoot(root: string, path: string, flags: number, options: { what?: string } = {}): number {
  const what = options.what ?? `open ${path} in ${root}`;
  const tree = new HostTree(root, what);
  return openResolved(root, walkInRoot(tree, path, { what, rootBytes: tree.rootBytes }), flags, what);
}

/**
 * Opens `rel`, a real path `walkInRoot` gave for `root`, and checks that the file opened is
 * the one resolved, whatever changed in the tree since: with O_NOFOLLOW (a link swapped in for
 * the last component fails with ELOOP), then through /proc/self/fd (a directory on the way
 * swapped for a link would have led elsewhere).
 * @returns the file descriptor (the caller closes it)
 * @throws PathInRootError EXDEV when what was opened is not what was resolved; open's
 *   errors as node's (ENOENT, ENOTDIR, ELOOP…), for the caller to tell apart.
 */
export function openResolved(root: string, rel: string, flags: number, what: string): number {
  const tree = new HostTree(root, what);
  const fd = openSync(tree.abs(rel), flags | constants.O_NOFOLLOW);
  try {
    const opened = readlinkSync(`/proc/self/fd/${fd}`);
    const realRoot = realpathSync(tree.abs(''));
    const expected = rel === '' ? realRoot : `${realRoot === '/' ? '' : realRoot}/${rel}`;
    if (opened !== expected) throw new PathInRootError('EXDEV', `${what}: the path changed while it was opened (it led to ${opened})`);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * The components of a slash path with '', '.' and '..' applied lexically, from the root
 * (a leading '/' changes nothing); undefined when '..' would climb above the root.
 */
export function cleanComponents(path: string): string[] | undefined {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}
