/**
 * Room for the store's own records on a full disk. When something fills the filesystem the
 * store lives on, SQLite can no longer open the database (it makes a 32 KiB wal-index file)
 * nor grow its WAL, so no command would work, not even the `rm` that frees the space. A
 * 1 MiB file beside the database, `metadata.reserve`, holds that room while there is
 * plenty; a command that opens the store with less than that free gives it back first.
 */
import { existsSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RESERVE_FILE = 'metadata.reserve';
export const RESERVE_BYTES = 1 << 20;
/** Made again only with this much free, so it never takes the last of a nearly full disk. */
const REFILL_FREE_BYTES = 64 << 20;

/**
 * Free bytes on the filesystem holding `dir`. The unprivileged figure, even for root: ext4's
 * free count includes blocks kept for its own metadata that no write can have.
 */
function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** On opening the database: gives the reserve back when space is short, makes it when missing and space is plenty. */
export function keepReserve(dir: string): void {
  const free = freeBytes(dir);
  if (free === undefined) return;
  if (free < RESERVE_BYTES) return release(dir);
  const path = join(dir, RESERVE_FILE);
  if (free < REFILL_FREE_BYTES || existsSync(path)) return;
  try {
    // Written, not sparse: its blocks must really be taken to be given back later.
    writeFileSync(path, Buffer.alloc(RESERVE_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    // Another command made it first, or a read-only store: nothing to keep. A part
    // written (the disk filled meanwhile) is given back.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') release(dir);
  }
}

function release(dir: string): void {
  try {
    rmSync(join(dir, RESERVE_FILE), { force: true });
  } catch { /* the writes that follow say what is wrong */ }
}
