/**
 * `rm -rf` without recursion: node's own rmSync recurses once per level and overflows the
 * stack on the 2,000-deep trees layers may hold. Symlinks are removed, never followed.
 */
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';

const SLASH = Buffer.from('/');

export function removeTree(at: string | Buffer): void {
  const path = typeof at === 'string' ? Buffer.from(at) : at;
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return;
  if (!st.isDirectory()) {
    unlinkSync(path);
    return;
  }
  // Each frame: a directory and whether its children were already pushed.
  const stack: Array<{ dir: Buffer; expanded: boolean }> = [{ dir: path, expanded: false }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.expanded) {
      rmdirSync(top.dir);
      stack.pop();
      continue;
    }
    top.expanded = true;
    for (const entry of readdirSync(top.dir, { encoding: 'buffer', withFileTypes: true })) {
      const child = Buffer.concat([top.dir, SLASH, entry.name]);
      if (entry.isDirectory()) stack.push({ dir: child, expanded: false });
      else unlinkSync(child);
    }
  }
}
