/**
 * `build --iidfile`: as docker, a stale file is removed before the build (so a failed build
 * leaves none); unlike docker, a file that could never be written (its directory missing) is
 * refused before the build too, so bad input changes nothing in the store. Errors read as
 * Go's do: `open /missing/iid: no such file or directory`.
 */
import { statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errnoOf, fromSystemError, invalidArgument, StrataError } from '../../errdefs/index.ts';

export function prepareIidFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT' && errnoOf(err) !== 'ENOTDIR') {
      const failure = fromSystemError(err, `remove ${path}`);
      throw new StrataError(failure.code, `removing image ID file: ${failure.message}`, { cause: err });
    }
  }
  const dir = dirname(resolve(path));
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw fromSystemError(err, `open ${path}`);
  }
  if (!isDir) throw invalidArgument(`open ${path}: not a directory`);
}

export function writeIidFile(path: string, imageId: string): void {
  try {
    writeFileSync(path, imageId);
  } catch (err) {
    const syscall = (err as { syscall?: unknown }).syscall;
    throw fromSystemError(err, `${typeof syscall === 'string' ? syscall : 'write'} ${path}`);
  }
}
