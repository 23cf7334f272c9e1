/**
 * Where apply writes: paths inside the target, resolved by internal/path-in-root.ts (symlinks
 * followed inside the target, '..' stopped at it), with what a layer's stream of entries needs
 * on top: missing parents made on the way, and the directories resolved before remembered, so
 * that most entries cost no walk at all.
 *
 * Paths are handled as 'latin1' strings: one char per byte, so names that are not UTF-8
 * survive, and `Buffer.from(path, 'latin1')` gives the exact bytes back for fs calls.
 */
import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { invalidArgument } from '../errdefs/index.ts';
import { cleanComponents as cleanPath, walkInRoot, type TreeView } from '../internal/index.ts';

/**
 * Splits a tar name (bytes) into clean components: no empty ones, no '.', '..' applied
 * lexically. A leading '/' is dropped (absolute names land inside the root, as docker does).
 * @throws StrataError 'invalid-argument' when '..' would climb above the root.
 */
export function cleanComponents(name: Buffer, what: string): string[] {
  const out = cleanPath(name.toString('latin1'));
  if (out === undefined) throw invalidArgument(`${what}: path escapes the layer root with '..'`);
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
  private readonly creating = this.view(true);
  private readonly existing = this.view(false);

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
   * @throws PathInRootError (invalid-argument) when a component is not a directory, for a
   *   symlink loop, or when the result would be longer than PATH_MAX; ENOENT (not-found)
   *   when a component is missing and `create` is false.
   */
  resolveDir(components: readonly string[], create: boolean, what: string): string {
    const key = components.join('/');
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    this.hooks?.beforeWalk();
    const result = walkInRoot(create ? this.creating : this.existing, components, {
      what, directory: true, existing: true, latin1: true, rootBytes: this.root.length,
    });
    if (this.cache.size > 4096) this.cache.clear();
    this.cache.set(key, result);
    return result;
  }

  /** The tree as it is, with missing directories made on the way when `create`. */
  private view(create: boolean): TreeView {
    return {
      kind: (rel) => {
        const abs = this.abs(rel);
        const st = lstatSync(abs, { throwIfNoEntry: false });
        if (st === undefined) {
          if (!create) return undefined;
          mkdirSync(abs, 0o755);
          this.hooks?.madeDirectory(rel);
          return 'directory';
        }
        return st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
      },
      readlink: (rel) => readlinkSync(this.abs(rel), { encoding: 'buffer' }).toString('latin1'),
    };
  }
}
