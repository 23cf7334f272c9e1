/**
 * Where commands write what the user asked for (`save`, `export`, `cp … -`): a file named by
 * `-o`, or stdout. A file's path is checked first as docker's CLI checks it (moby's
 * atomicwriter: its directory must exist, and it must be a regular file or nothing, never a
 * directory, device, FIFO, socket or symlink), its bytes go to a temporary file beside it, and
 * only a complete, fsynced file is renamed over it: a failed write leaves the old file, or
 * none. Write errors name the path the user gave (`write /mnt/x.tar: no space left on
 * device`), never the temporary one.
 */
import { constants, createWriteStream, lstatSync, openSync, renameSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { errnoOf, fromSystemError, invalidArgument, StrataError } from '../errdefs/index.ts';
import { fsyncDirectory } from './atomic-file.ts';
import { crashPoint } from './crash-point.ts';

/** Writes into `out`; must settle (reject) when `out` fails. */
export type Producer = (out: Writable) => Promise<void>;

function prefixed(prefix: string, err: StrataError): StrataError {
  return new StrataError(err.code, `${prefix}: ${err.message}`, { cause: err.cause ?? err, ...(err.hint ? { hint: err.hint } : {}) });
}

/** Go's filepath.Dir: `dir/` is inside `dir`, not beside it. */
function parentOf(path: string): string {
  return path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : dirname(path);
}

function kindOf(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link directly';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device file';
  return 'a block device file';
}

/**
 * Refuses an output path docker would refuse, in its words (`invalid output path: stat
 * /nonexistent: no such file or directory`, `cannot write to a character device file`).
 */
export function checkOutputPath(path: string): void {
  if (path === '') throw invalidArgument('file name is empty');
  const dir = parentOf(path);
  if (dir !== '.' && dir !== '..') {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch (err) {
      throw prefixed('invalid output path', fromSystemError(err, `stat ${dir}`));
    }
    if (!st.isDirectory()) throw invalidArgument(`invalid output path: stat ${dir}: not a directory`);
  }
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw prefixed('failed to stat output path', fromSystemError(err, `lstat ${path}`));
  }
  const kind = kindOf(st);
  if (kind !== undefined) throw invalidArgument(`cannot write to ${kind}`);
}

/** `checkOutputPath`, its errors starting with `failure` as docker's do (`failed to save image: …`). */
export function checkOutputFile(path: string, failure: string): void {
  try {
    checkOutputPath(path);
  } catch (err) {
    throw prefixed(failure, err as StrataError);
  }
}

/**
 * Writes file `path` through `produce`, all or nothing. Errors about the file itself (its
 * path, creating it, writing it) start with `failure` (`failed to save image: …`); the
 * producer's own errors pass through.
 */
export async function writeOutputFile(path: string, failure: string, produce: Producer): Promise<void> {
  checkOutputFile(path, failure);
  const target = resolve(path);
  const tmp = join(dirname(target), `.tmp-${basename(target)}${randomBytes(6).toString('hex')}`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
  } catch (err) {
    throw prefixed(failure, fromSystemError(err, `open ${path}`));
  }
  // The stream owns the descriptor: `flush` fsyncs it before closing, so a full disk or a
  // failing device shows up here rather than after the rename.
  const out = createWriteStream(tmp, { fd, flush: true });
  let writeError: unknown;
  out.on('error', (err) => (writeError ??= err));
  try {
    await produce(out);
    out.end();
    await finished(out);
    crashPoint('output-write');
    renameSync(tmp, target);
    fsyncDirectory(dirname(target));
  } catch (err) {
    await closed(out);
    try { unlinkSync(tmp); } catch { /* never written */ }
    const systemError = writeError ?? (errnoOf(err) !== undefined ? err : undefined);
    if (systemError !== undefined) throw prefixed(failure, fromSystemError(systemError, `write ${path}`));
    throw err;
  }
}

/** Stops a stream and waits until its descriptor is closed (no write still under way). */
async function closed(out: Writable): Promise<void> {
  if (out.closed) return;
  const done = new Promise((resolve) => out.once('close', resolve));
  out.destroy();
  await done;
}

/**
 * Writes into a stream the caller owns (stdout) through `produce`: when the stream fails,
 * its error (named `name`, e.g. `write /dev/stdout: no space left on device`) is the one
 * reported, not what the producer made of it.
 */
export async function writeToStream(out: Writable, name: string, produce: Producer): Promise<void> {
  let writeError: unknown;
  const onError = (err: unknown): void => {
    writeError ??= err;
  };
  out.on('error', onError);
  try {
    await produce(out);
  } catch (err) {
    const systemError = writeError ?? (errnoOf(err) !== undefined ? err : undefined);
    // A reader that went away (`| head`) is not a failure of ours: the CLI exits 0 for it.
    if (systemError !== undefined && errnoOf(systemError) !== 'EPIPE') throw fromSystemError(systemError, `write ${name}`);
    throw err;
  } finally {
    out.off('error', onError);
  }
}
