/**
 * Path resolution confined to a root directory, as if the process were chrooted there:
 * node has no chroot and no openat, so every parent of an extracted entry is walked one
 * component at a time with lstat. Symlinks met on the way are followed *inside the root*
 * (an absolute target restarts at the root, `..` stops at the root), the way moby's
 * FollowSymlinkInScope and containerd's fs.RootPath resolve them. Nothing resolved here can
 * name a path outside the root.
 *
 * Paths are handled as 'latin1' strings: one char per byte, so names that are not UTF-8
 * survive, and `Buffer.from(path, 'latin1')` gives the exact bytes back for fs calls.
 */
import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { invalidArgument } from '../errdefs/index.ts';

/** Linux's PATH_MAX: a longer absolute path cannot be used in a syscall. */
export const PATH_MAX = 4096;
/** Symlinks followed while resolving one path before it counts as a loop (Linux stops at 40). */
export const MAX_SYMLINKS = 40;

/**
 * Splits a tar name (bytes) into clean components: no empty ones, no '.', '..' applied
 * lexically. A leading '/' is dropped (absolute names land inside the root, as docker does).
 * @throws StrataError 'invalid-argument' when '..' would climb above the root.
 */
export function cleanComponents(name: Buffer, what: string): string[] {
  const out: string[] = [];
  for (const part of name.toString('latin1').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw invalidArgument(`${what}: path escapes the layer root with '..'`);
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

const ASCII = /^[\x00-\x7f]*$/;

/** What a caller sharing the tree with another writer needs to hear about a walk. */
export interface RootPathHooks {
  /** A resolution is about to read (or create in) the tree: nothing it may meet can be half-written. */
  beforeWalk(): void;
  /** A missing directory was made at `real` (relative to the root). */
  madeDirectory(real: string): void;
}

export class RootPath {
  /** The root as a latin1 string, without a trailing slash. */
  readonly root: string;
  private cache = new Map<string, string>();

  constructor(
    root: string,
    private readonly hooks?: RootPathHooks,
  ) {
    this.root = Buffer.from(root.replace(/\/+$/, '') || '/', 'utf8').toString('latin1');
  }

  /**
   * Absolute path of a path relative to the root ('' is the root): a string when it is
   * ASCII (the same bytes in UTF-8, and cheaper for node than a Buffer), else the bytes.
   */
  abs(rel: string): string | Buffer {
    const path = rel === '' ? this.root : `${this.root}/${rel}`;
    return ASCII.test(path) ? path : Buffer.from(path, 'latin1');
  }

  /** Records that the directory named by `key` (clean components joined by '/') is at real path `real` (just created there). */
  rememberKey(key: string, real: string): void {
    if (this.cache.size > 4096) this.cache.clear();
    this.cache.set(key, real);
  }

  /**
   * `resolveDir` by key: clean components joined by '/' ('' for the root), which spares the
   * common case (a directory resolved before) any splitting.
   */
  resolveDirKey(key: string, create: boolean, what: string): string {
    if (key === '') return '';
    return this.cache.get(key) ?? this.resolveDir(key.split('/'), create, what);
  }

  /** Forget cached resolutions: call after anything in the tree was removed or replaced. */
  invalidate(): void {
    this.cache.clear();
  }

  /**
   * The real path (relative to the root, no symlinks in it) of the directory named by
   * `components`, following symlinks inside the root. With `create`, missing directories
   * are made (mode 0755, as docker makes missing parents).
   * @throws StrataError 'invalid-argument' when a component is not a directory, for a
   *   symlink loop, or when the result would be longer than PATH_MAX; 'not-found' when a
   *   component is missing and `create` is false.
   */
  resolveDir(components: readonly string[], create: boolean, what: string): string {
    const key = components.join('/');
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    this.hooks?.beforeWalk();
    const real: string[] = [];
    // Components still to walk, last first, so symlink targets can be pushed on cheaply.
    const todo = components.slice().reverse();
    let links = 0;
    let length = this.root.length;
    while (todo.length > 0) {
      const c = todo.pop()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        const gone = real.pop();
        if (gone !== undefined) length -= gone.length + 1;
        continue;
      }
      real.push(c);
      length += c.length + 1;
      if (length >= PATH_MAX) throw invalidArgument(`${what}: path is longer than the ${PATH_MAX} bytes Linux allows`);
      const abs = this.abs(real.join('/'));
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (st === undefined) {
        if (!create) {
          throw Object.assign(new Error(`${what}: ${real.join('/')} does not exist`), { code: 'ENOENT' });
        }
        mkdirSync(abs, 0o755);
        this.hooks?.madeDirectory(real.join('/'));
        continue;
      }
      if (st.isDirectory()) continue;
      if (st.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) throw invalidArgument(`${what}: too many levels of symbolic links (a loop?)`);
        real.pop();
        length -= c.length + 1;
        const target = readlinkSync(abs, { encoding: 'buffer' }).toString('latin1');
        if (target.startsWith('/')) {
          real.length = 0;
          length = this.root.length;
        }
        const parts = target.split('/');
        for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]!);
        continue;
      }
      throw invalidArgument(`${what}: ${JSON.stringify(Buffer.from(real.join('/'), 'latin1').toString('utf8'))} is not a directory`);
    }
    const result = real.join('/');
    if (this.cache.size > 4096) this.cache.clear();
    this.cache.set(key, result);
    return result;
  }
}
