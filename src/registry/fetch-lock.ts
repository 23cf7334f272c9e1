/**
 * One fetch per blob across processes: before downloading a blob, a puller creates
 * `<dir>/<hex>.lock` (O_EXCL, holding its pid). Another puller of the same blob waits for
 * the file to go, then finds the blob in the content store. A lock whose process died is
 * taken over. The lock only saves bandwidth: correctness comes from the content store,
 * where two writers of one blob both succeed with one copy stored.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { errnoOf, fromSystemError } from '../errdefs/index.ts';
import { processAlive } from '../internal/index.ts';
import { digestHex, type Digest } from '../oci/index.ts';
import { sleep } from './http-transport.ts';

export interface FetchLockOptions {
  /** True when the blob is stored already (checked before and after each wait). */
  stored: () => boolean;
  /** Called once when another process holds the lock. */
  onWait?: () => void;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * Runs `fetch` while holding the blob's lock, unless the blob is (or becomes, while
 * waiting) stored. Returns false when it was stored by someone else and `fetch` did not run.
 */
export async function withFetchLock(dir: string, digest: Digest, fetch: () => Promise<void>, options: FetchLockOptions): Promise<boolean> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fromSystemError(err, `create ${dir}`);
  }
  const path = join(dir, `${digestHex(digest)}.lock`);
  let waited = false;
  for (;;) {
    if (options.stored()) return false;
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw fromSystemError(err, `lock ${path}`);
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      const ino = statSync(path).ino;
      try {
        await fetch();
        return true;
      } finally {
        try {
          if (statSync(path).ino === ino) unlinkSync(path);
        } catch {
          // Taken over or removed already.
        }
      }
    }
    if (takeOverIfStale(path)) continue;
    if (!waited) {
      waited = true;
      options.onWait?.();
    }
    await sleep(options.pollMs ?? 100, options.signal);
  }
}

/** Removes a lock whose holder is gone; true when it did (or the lock vanished). */
function takeOverIfStale(path: string): boolean {
  let pidText: string;
  let ino: number;
  let age: number;
  try {
    const st = statSync(path);
    ino = st.ino;
    age = Date.now() - st.mtimeMs;
    pidText = readFileSync(path, 'utf8');
  } catch (err) {
    return errnoOf(err) === 'ENOENT';
  }
  const pid = Number(pidText);
  // An empty file is a lock being written this instant, unless it is old (its writer died).
  if (pidText === '' ? age < 5000 : Number.isInteger(pid) && pid > 0 && processAlive(pid)) return false;
  try {
    if (statSync(path).ino === ino) unlinkSync(path);
  } catch {
    // Someone else took it over first.
  }
  return true;
}
