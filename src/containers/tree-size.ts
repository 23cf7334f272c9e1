/**
 * Disk use of a directory tree as docker's `SizeRw` and volume sizes count it: the sizes
 * of everything but directories (symlinks by their target's length), each inode once.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** @throws the filesystem's error when `dir` can't be read. */
export function treeSize(dir: string): number {
  const seen = new Set<string>();
  let total = 0;
  const stack: string[] = [dir];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        stack.push(path);
        continue;
      }
      const st = lstatSync(path, { bigint: true });
      if (st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += Number(st.size);
    }
  }
  return total;
}
