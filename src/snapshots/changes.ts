/**
 * `diff`'s change list: what a snapshot changed in its parent's tree, as docker lists it —
 * `A` added, `C` changed, `D` deleted — by moby's rules (pkg/archive changes). Each driver
 * finds its own changes (overlay/overlay-changes.ts, native/tree-changes.ts); this is what
 * they share:
 *
 * - every directory above a change is listed as `C` (except `/` and directories listed as
 *   added), as moby's tree comparison does ("needed to properly save and restore
 *   filesystem permissions"): a change to /etc/app/conf lists `C /etc`, `C /etc/app`;
 * - paths come out in walk order: parents first, names sorted byte-wise within a directory.
 */
import { readdirSync } from 'node:fs';

export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  kind: ChangeKind;
  path: string;
}

export function listSorted(dir: string): string[] {
  return readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * `changes` (in walk order: a directory before what is inside it) with every directory above
 * a change that is not listed yet inserted as `C`, just before its first listed descendant:
 * where the walk would have listed it.
 */
export function withAncestors(changes: readonly Change[]): Change[] {
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
