/**
 * Whole-file writes that are all-or-nothing: write a temp file beside the target, fsync
 * it, rename it over the target, fsync the directory. A crash leaves the old file or the
 * new one, never a mix. A file that is cheap to lose (a bundle's config, a container's
 * state, rewritten at every start) may skip both fsyncs: readers still see the old content
 * or the new, never a mix, but a crash may lose the write.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { fromSystemError } from '../errdefs/index.ts';

/** fsyncs a directory so a rename or link inside it survives a crash. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch (err) {
    throw fromSystemError(err, `sync directory ${dir}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface AtomicWriteOptions {
  /** Permission bits of a new file (default 0o644; the umask applies). */
  mode?: number;
  /**
   * fsync the file and its directory before returning, so the write survives a crash
   * (default). false skips both: an fsync costs ~7 ms here, too much on the path of every
   * `run` for files that are written again at the next start.
   */
  durable?: boolean;
}

/**
 * Replaces `path` with `data` all at once (see the top of this file).
 * @throws StrataError naming `path` (not-found when its directory is missing, …); no temp file is left behind.
 */
export function writeFileAtomic(path: string, data: Buffer | string, options: AtomicWriteOptions = {}): void {
  const durable = options.durable ?? true;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, options.mode ?? 0o644);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    if (durable) fsyncDirectory(dirname(path));
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* never created, or renamed already */ }
    throw fromSystemError(err, `write ${path}`);
  }
}
