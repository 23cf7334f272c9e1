/**
 * `diff`: what a container changed in its image, as docker lists it — `A` added, `C`
 * changed, `D` deleted — by moby's rules (pkg/archive changes):
 *
 * - overlay: the writable layer's entries are the changes. A 0/0 character device is a
 *   deletion; an opaque directory that exists below was deleted (and made anew). Anything
 *   else is `C` when it exists in a lower layer, else `A`; a directory whose size, mode and
 *   mtime match the one below was only copied up and is not listed by itself.
 * - native: the writable tree is compared with its parent's full tree.
 * - both: every directory above a change is listed as `C` (except `/` and directories
 *   listed as added), as moby's tree comparison does ("needed to properly save and restore
 *   filesystem permissions"): a change to /etc/app/conf lists `C /etc`, `C /etc/app`.
 *
 * Paths come out in walk order: parents first, names sorted byte-wise within a directory.
 */
import { lstatSync, readdirSync, readlinkSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr } from '../internal/sys/index.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import type { Container } from './container.ts';

export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  kind: ChangeKind;
  path: string;
}

function listSorted(dir: string): string[] {
  return readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function statOrUndefined(path: string): BigIntStats | undefined {
  try {
    // os.Stat in moby: symlinks in the lower layer are followed.
    return statSync(path, { bigint: true });
  } catch {
    return undefined;
  }
}

function existsBelow(lowers: readonly string[], path: string): BigIntStats | undefined {
  for (const lower of lowers) {
    const st = statOrUndefined(join(lower, path));
    if (st !== undefined) return st;
  }
  return undefined;
}

function opaque(abs: string): boolean {
  try {
    return lgetxattr(abs, 'trusted.overlay.opaque')?.toString() === 'y';
  } catch {
    return false;
  }
}

/**
 * Changes of an overlay writable layer `upper` over `lowers` (top first: the init layer
 * and the image's layers).
 */
export function overlayChanges(upper: string, lowers: readonly string[]): Change[] {
  const changes: Change[] = [];
  const visit = (rel: string): void => {
    for (const name of listSorted(join(upper, rel))) {
      const path = `${rel}/${name}`;
      const abs = join(upper, path);
      const st = lstatSync(abs, { bigint: true });
      let kind: ChangeKind;
      if (st.isCharacterDevice() && st.rdev === 0n) {
        kind = 'D';
      } else if (st.isDirectory() && opaque(abs) && existsBelow(lowers, path) !== undefined) {
        kind = 'D';
      } else {
        const below = existsBelow(lowers, path);
        if (below === undefined) kind = 'A';
        else if (below.isDirectory() && st.isDirectory() && below.size === st.size && below.mode === st.mode && below.mtimeNs === st.mtimeNs) {
          // Only copied up because something inside changed.
          visit(path);
          continue;
        } else kind = 'C';
      }
      changes.push({ kind, path });
      if (st.isDirectory()) visit(path);
    }
  };
  visit('');
  return withAncestors(changes);
}

/**
 * `changes` (in walk order: a directory before what is inside it) with every directory above
 * a change that is not listed yet inserted as `C`, just before its first listed descendant:
 * where the walk would have listed it.
 */
function withAncestors(changes: readonly Change[]): Change[] {
  const listed = new Set(changes.map((c) => c.path));
  const out: Change[] = [];
  for (const change of changes) {
    for (let slash = change.path.indexOf('/', 1); slash > 0; slash = change.path.indexOf('/', slash + 1)) {
      const ancestor = change.path.slice(0, slash);
      if (listed.has(ancestor)) continue;
      listed.add(ancestor);
      out.push({ kind: 'C', path: ancestor });
    }
    out.push(change);
  }
  return out;
}

function sameEntry(a: BigIntStats, b: BigIntStats, aPath: string, bPath: string): boolean {
  if ((a.mode & 0o170000n) !== (b.mode & 0o170000n)) return false;
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.isDirectory()) return true;
  if (a.size !== b.size || a.mtimeNs !== b.mtimeNs) return false;
  if (a.isSymbolicLink()) return readlinkSync(aPath) === readlinkSync(bPath);
  if (a.isCharacterDevice() || a.isBlockDevice()) return a.rdev === b.rdev;
  return true;
}

/** Changes of a full tree `upper` against its parent's full tree `lower` (the native driver). */
export function treeChanges(upper: string, lower: string): Change[] {
  const changes: Change[] = [];
  const visit = (rel: string): void => {
    const upperNames = listSorted(join(upper, rel));
    let lowerNames: string[] = [];
    try {
      lowerNames = listSorted(join(lower, rel));
    } catch { /* added directory */ }
    const all = [...new Set([...upperNames, ...lowerNames])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const upperSet = new Set(upperNames);
    for (const name of all) {
      const path = `${rel}/${name}`;
      if (!upperSet.has(name)) {
        changes.push({ kind: 'D', path });
        continue;
      }
      const up = lstatSync(join(upper, path), { bigint: true });
      let low: BigIntStats | undefined;
      try {
        low = lstatSync(join(lower, path), { bigint: true });
      } catch { /* added */ }
      if (low === undefined) {
        changes.push({ kind: 'A', path });
        if (up.isDirectory()) addAll(path);
        continue;
      }
      if (!sameEntry(up, low, join(upper, path), join(lower, path)) || (up.isDirectory() && up.mtimeNs !== low.mtimeNs)) {
        changes.push({ kind: 'C', path });
      }
      if (up.isDirectory() && low.isDirectory()) visit(path);
    }
  };
  const addAll = (rel: string): void => {
    for (const name of listSorted(join(upper, rel))) {
      const path = `${rel}/${name}`;
      const isDir = lstatSync(join(upper, path)).isDirectory();
      changes.push({ kind: 'A', path });
      if (isDir) addAll(path);
    }
  };
  visit('');
  return withAncestors(changes);
}

/** `diff`: the container's changes to its image (none when its layers are gone). */
export function containerChanges(s: Snapshotter, c: Pick<Container, 'id'>): Change[] {
  const upper = s.stat(c.id);
  const init = s.stat(`${c.id}-init`);
  if (!upper || !init) return [];
  return s.driver === 'overlay'
    ? overlayChanges(s.fsDir(upper), s.chain(init.key).map((r) => s.fsDir(r)))
    : treeChanges(s.fsDir(upper), s.fsDir(init));
}
