/**
 * The native driver's changes: a snapshot's full tree compared with its parent's full tree,
 * entry by entry (moby's tree comparison, as docker's vfs driver lists `diff`).
 */
import { lstatSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { listSorted, withAncestors, type Change } from '../changes.ts';

function sameEntry(a: BigIntStats, b: BigIntStats, aPath: string, bPath: string): boolean {
  if ((a.mode & 0o170000n) !== (b.mode & 0o170000n)) return false;
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.isDirectory()) return true;
  if (a.size !== b.size || a.mtimeNs !== b.mtimeNs) return false;
  if (a.isSymbolicLink()) return readlinkSync(aPath) === readlinkSync(bPath);
  if (a.isCharacterDevice() || a.isBlockDevice()) return a.rdev === b.rdev;
  return true;
}

/** Changes of a full tree `upper` against its parent's full tree `lower` (none: an empty tree). */
export function treeChanges(upper: string, lower: string | undefined): Change[] {
  const changes: Change[] = [];
  const visit = (rel: string): void => {
    const upperNames = listSorted(join(upper, rel));
    let lowerNames: string[] = [];
    try {
      if (lower !== undefined) lowerNames = listSorted(join(lower, rel));
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
        if (lower !== undefined) low = lstatSync(join(lower, path), { bigint: true });
      } catch { /* added */ }
      if (lower === undefined || low === undefined) {
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
