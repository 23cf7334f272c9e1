/**
 * A container's work lock: the record names the process (pid and start time) working on
 * it and what it does (`start`, `mount`, `rm`), so two strata commands never set up or
 * tear down one container at once. A lock whose process is dead is stale: `rm`'s marks the
 * container for removal (`Dead` until an `rm` finishes the job), any other is dropped by
 * the next look at the container.
 */
import { failedPrecondition, notFound } from '../errdefs/index.ts';
import { inTransaction, type ContainerRecords, type ContainerRow, type Database } from '../metadata/index.ts';
import { processStartTime } from '../runtime/index.ts';
import type { Container } from './container.ts';

const LOCK_WAIT_MS = 10_000;

const NO_LOCK = { pid: 0, start: 0, op: '' };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function selfStart(): number {
  return processStartTime(process.pid) ?? 0;
}

/** Whether the process that took the record's lock still runs. */
export function lockLive(row: ContainerRow): boolean {
  return row.lockPid !== 0 && processStartTime(row.lockPid) === row.lockStart;
}

/** Whether the record is marked for removal, and whether the `rm` that marked it still runs (`live`, when known). */
export function removalState(row: ContainerRow, live: boolean = lockLive(row)): 'none' | 'in-progress' | 'crashed' {
  if (row.lockOp !== 'rm') return 'none';
  return live ? 'in-progress' : 'crashed';
}

export class WorkLocks {
  constructor(
    private readonly db: Database,
    private readonly records: ContainerRecords,
  ) {}

  /**
   * Takes the container's work lock for `op`, waiting a little for another process's.
   * @throws failed-precondition when another live process keeps it, or the container is
   *   marked for removal (for any `op` but `rm`).
   */
  async take(c: Container, op: string): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      const taken = inTransaction(this.db, () => {
        const row = this.records.get(c.id);
        if (!row) throw notFound(`No such container: ${c.id}`);
        if (row.lockPid !== 0 && row.lockPid !== process.pid && lockLive(row)) {
          if (row.lockOp === 'rm') throw failedPrecondition(`removal of container ${c.id} is already in progress`);
          return false;
        }
        if (row.lockOp === 'rm' && op !== 'rm') throw failedPrecondition('Container is marked for removal and cannot be started');
        this.records.setLock(c.id, { pid: process.pid, start: selfStart(), op });
        return true;
      });
      if (taken) return;
      if (Date.now() > deadline) throw failedPrecondition(`container ${c.id} is busy: another strata command is working on it`);
      await sleep(50);
    }
  }

  /** Drops this process's lock on the container (another's is left alone). */
  release(c: Container): void {
    inTransaction(this.db, () => {
      const row = this.records.get(c.id);
      if (row && row.lockPid === process.pid) this.records.setLock(c.id, NO_LOCK);
    });
  }

  /**
   * Drops the lock `c.row` shows, whose process is dead (a crash mid-start or mid-mount),
   * unless another process took the lock meanwhile; `c.row` follows. An `rm`'s is kept.
   */
  dropDead(c: Container): void {
    const row = c.row;
    if (row.lockPid === 0 || row.lockOp === 'rm') return;
    inTransaction(this.db, () => {
      const now = this.records.get(c.id);
      if (now && now.lockPid === row.lockPid && now.lockStart === row.lockStart) this.records.setLock(c.id, NO_LOCK);
    });
    c.row = { ...row, lockPid: 0, lockStart: 0, lockOp: '' };
  }
}
