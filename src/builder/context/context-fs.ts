/**
 * A read-only view of a source tree as COPY and ADD see it: the build context with
 * `.dockerignore` applied (what BuildKit's context transfer would have sent), or a stage's or
 * image's mounted tree with nothing hidden. Entries are lstat'ed once and listed lazily, so a
 * build reads only the parts of the context its COPY and ADD instructions name.
 *
 * Visibility follows BuildKit's walker: an excluded file is gone; an excluded directory is
 * gone too, unless an exception (`!pattern`) includes something inside it, in which case it
 * is there (as the parent of what is included).
 */
import type { Stats } from 'node:fs';
import { constants, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { errnoOf, fromSystemError, internal, invalidArgument } from '../../errdefs/index.ts';
import { walkInRoot, type TreeView } from '../../internal/index.ts';
import type { IgnoreMatcher, MatchInfo } from './ignore.ts';

/**
 * The lstat fields a build uses, copied out of node's Stats (which carries four Date objects):
 * a large context keeps one per file, so this keeps the garbage collector's work small.
 */
export class EntryStat {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly ino: number;
  readonly size: number;
  readonly nlink: number;
  readonly rdev: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;

  constructor(st: Stats) {
    this.mode = st.mode;
    this.uid = st.uid;
    this.gid = st.gid;
    this.ino = st.ino;
    this.size = st.size;
    this.nlink = st.nlink;
    this.rdev = st.rdev;
    this.atimeMs = st.atimeMs;
    this.mtimeMs = st.mtimeMs;
    this.ctimeMs = st.ctimeMs;
  }

  private is(type: number): boolean {
    return (this.mode & constants.S_IFMT) === type;
  }

  isDirectory(): boolean {
    return this.is(constants.S_IFDIR);
  }

  isFile(): boolean {
    return this.is(constants.S_IFREG);
  }

  isSymbolicLink(): boolean {
    return this.is(constants.S_IFLNK);
  }

  isCharacterDevice(): boolean {
    return this.is(constants.S_IFCHR);
  }

  isBlockDevice(): boolean {
    return this.is(constants.S_IFBLK);
  }

  isFIFO(): boolean {
    return this.is(constants.S_IFIFO);
  }
}

export interface ContextEntry {
  /** Slash path relative to the tree's root; '' is the root itself. */
  rel: string;
  abs: string;
  st: EntryStat;
  /** The ignore matcher's state for this directory, handed to its entries. */
  info: MatchInfo | undefined;
  /** Excluded itself, but present because something inside it is included. */
  excluded: boolean;
}

function lstat(abs: string): EntryStat | undefined {
  try {
    return new EntryStat(lstatSync(abs));
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return undefined;
    throw fromSystemError(err, `stat ${abs}`);
  }
}

export class ContextFs {
  private readonly listed = new Map<string, { list: ContextEntry[]; byName: Map<string, ContextEntry> }>();
  private readonly top: ContextEntry;

  /**
   * @param root an existing directory
   * @param matcher the `.dockerignore` patterns of a build context; none for stage and image trees
   * @throws not-found when `root` does not exist, invalid-argument when it is not a directory
   */
  constructor(
    readonly root: string,
    private readonly matcher?: IgnoreMatcher,
  ) {
    const st = lstat(root);
    if (st === undefined) throw invalidArgument(`context directory ${root} does not exist`);
    if (!st.isDirectory()) throw invalidArgument(`context ${root} is not a directory`);
    this.top = { rel: '', abs: root, st, info: undefined, excluded: false };
  }

  rootEntry(): ContextEntry {
    return this.top;
  }

  /** Visible entries of a directory, sorted by name. */
  children(dir: ContextEntry): ContextEntry[] {
    if (!dir.st.isDirectory()) return [];
    return this.listing(dir).list;
  }

  private listing(dir: ContextEntry): { list: ContextEntry[]; byName: Map<string, ContextEntry> } {
    const known = this.listed.get(dir.rel);
    if (known !== undefined) return known;
    if (!dir.st.isDirectory()) return { list: [], byName: new Map() };
    let names: string[];
    try {
      names = readdirSync(dir.abs);
    } catch (err) {
      throw fromSystemError(err, `read directory ${dir.abs}`);
    }
    names.sort(byBytes);
    const out: ContextEntry[] = [];
    const byName = new Map<string, ContextEntry>();
    const add = (name: string, e: ContextEntry): void => {
      out.push(e);
      byName.set(name, e);
    };
    for (const name of names) {
      const rel = dir.rel === '' ? name : `${dir.rel}/${name}`;
      const abs = `${dir.abs === '/' ? '' : dir.abs}/${name}`;
      const st = lstat(abs);
      if (st === undefined) continue;
      if (this.matcher === undefined) {
        add(name, { rel, abs, st, info: undefined, excluded: false });
        continue;
      }
      const d = this.matcher.check(rel, st.isDirectory(), dir.info);
      if (!d.excluded) {
        add(name, { rel, abs, st, info: d.info, excluded: false });
      } else if (st.isDirectory() && d.descend) {
        const entry = { rel, abs, st, info: d.info, excluded: true };
        if (this.children(entry).length > 0) add(name, entry);
      }
    }
    const result = { list: out, byName };
    this.listed.set(dir.rel, result);
    return result;
  }

  /** The visible entry at `rel` (a clean slash path), without following symlinks. */
  get(rel: string): ContextEntry | undefined {
    if (rel === '' || rel === '.') return this.top;
    let current = this.top;
    for (const part of rel.split('/')) {
      if (part === '' || part === '.') continue;
      const next = this.listing(current).byName.get(part);
      if (next === undefined) return undefined;
      current = next;
    }
    return current;
  }

  /**
   * The visible entry at `path`, following symlinks inside the tree (an absolute link target
   * starts again at the root, `..` stops at it), as COPY resolves its source paths.
   * @throws invalid-argument for a symlink loop
   */
  resolve(path: string): ContextEntry | undefined {
    return this.get(walkInRoot(this.view, path, { what: path, rootBytes: Buffer.byteLength(this.root) }));
  }

  /** The visible entries, as the one path resolver sees a tree. */
  private readonly view: TreeView = {
    kind: (rel) => {
      const st = this.get(rel)?.st;
      if (st === undefined) return undefined;
      return st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
    },
    readlink: (rel) => {
      const entry = this.get(rel);
      if (entry === undefined) throw internal(`${rel} vanished from the context's listing`);
      return readlinkSync(entry.abs);
    },
  };

  /** Every visible entry under `dir` (not `dir` itself), parents before children, sorted. */
  *walk(dir: ContextEntry): Generator<ContextEntry> {
    for (const child of this.children(dir)) {
      yield child;
      if (child.st.isDirectory()) yield* this.walk(child);
    }
  }
}

/** Go compares strings by bytes; for names that are not plain ASCII, JS's UTF-16 order can differ. */
const ASCII = /^[\x00-\x7f]*$/;

function byBytes(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
