/**
 * Container and volume directories on their way out. Each is moved aside, to
 * `.removing-<name>-<pid>` beside it, inside the transaction that deletes its record, and
 * deleted after the commit: a crash leaves an entry whose name says whose removal it was,
 * which `system check` names once that process is gone — and `--repair` removes, or puts
 * back when the record is still there (the removal did not commit) — never a directory that
 * nothing names (and that a new volume of the same name would take over, old data and all).
 */
import { renameSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crashPoint, failpoint, processAlive } from '../internal/index.ts';
import { inTransaction, type Database } from '../metadata/index.ts';
import { mountPoints, unmountAll } from '../mount/index.ts';

const ASIDE = /^\.removing-(.+)-(\d+)$/;

/**
 * Runs `fn` in one transaction of `db`. The directories it hands to `aside` (those of the
 * records it deletes) are moved aside right then, deleted once the transaction committed,
 * and moved back should it fail. A race test may hold the process at `pauseLabel`, between
 * the commit and the deletion (src/internal/failpoint.ts).
 */
export function removingInTransaction<T>(db: Database, fn: (aside: (dir: string) => void) => T, pauseLabel?: string): T {
  const moved: { from: string; to: string }[] = [];
  let result: T;
  try {
    result = inTransaction(db, () => fn((dir) => {
      const m = moveAside(dir);
      if (m !== undefined) moved.push(m);
    }));
  } catch (err) {
    for (const m of moved) {
      try { renameSync(m.to, m.from); } catch { /* left aside, which check names */ }
    }
    throw err;
  }
  if (pauseLabel !== undefined) failpoint(pauseLabel);
  for (const m of moved) deleteAside(m.to);
  return result;
}

/** Moves `dir` aside; undefined when there is none. One that can't be moved is deleted where it is (`to` is `from`). */
function moveAside(dir: string): { from: string; to: string } | undefined {
  const to = join(dirname(dir), `.removing-${basename(dir)}-${process.pid}`);
  try {
    renameSync(dir, to);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : { from: dir, to: dir };
  }
  crashPoint('dir-remove');
  return { from: dir, to };
}

/** Deletes a directory moved aside, unmounting what is mounted inside it first (a volume's `-o type=` filesystem). */
export function deleteAside(path: string): void {
  for (const point of mountPoints().filter((p) => p === path || p.startsWith(`${path}/`)).reverse()) unmountAll(point);
  rmSync(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
}

/** Entries of `home` moved aside by a process that is gone: the entry, and the name it had. */
export function interruptedRemovals(home: string): { entry: string; name: string }[] {
  if (!existsSync(home)) return [];
  const found: { entry: string; name: string }[] = [];
  for (const entry of readdirSync(home)) {
    const m = ASIDE.exec(entry);
    if (m !== null && !processAlive(Number(m[2]))) found.push({ entry, name: m[1] as string });
  }
  return found;
}

/** Moves an entry of `home` moved aside back to its name: its record's removal never committed. */
export function putBack(home: string, removal: { entry: string; name: string }): void {
  renameSync(join(home, removal.entry), join(home, removal.name));
}
