/**
 * The overlay driver's changes: the writable layer's entries are the changes. A 0/0
 * character device is a deletion; an opaque directory that exists below was deleted (and
 * made anew). Anything else is `C` when it exists in a lower layer, else `A`; a directory
 * whose size, mode and mtime match the one below was only copied up and is not listed by
 * itself (moby's overlay rules).
 */
import { lstatSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr } from '../../internal/sys/index.ts';
import { listSorted, withAncestors, type Change, type ChangeKind } from '../changes.ts';

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
 * Changes of an overlay writable layer `upper` over `lowers` (top first: for a container,
 * its init layer and the image's layers).
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
