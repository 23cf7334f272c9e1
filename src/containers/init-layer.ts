/**
 * The init layer: a thin layer between a container's image and its writable layer that
 * holds the mount points the runtime needs (/proc, /sys, /dev/pts, /dev/shm, /dev/console,
 * the /etc files strata bind-mounts) and docker's /.dockerenv, as docker's `<id>-init`
 * layer does. Because they live below the writable layer, `diff`, `commit` and the
 * container's size never show them.
 */
import { closeSync, mkdirSync, openSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../errdefs/index.ts';

const DIRS = ['/dev/pts', '/dev/shm', '/proc', '/sys', '/etc'];
const FILES = ['/.dockerenv', '/etc/resolv.conf', '/etc/hosts', '/etc/hostname', '/dev/console'];
const LINKS: Array<[string, string]> = [['/etc/mtab', '/proc/mounts']];

/** Writes the init layer's entries into an empty layer directory. */
export function writeInitLayer(dir: string): void {
  try {
    for (const d of DIRS) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
    for (const f of FILES) closeSync(openSync(join(dir, f), 'wx', 0o755));
    for (const [path, target] of LINKS) symlinkSync(target, join(dir, path));
  } catch (err) {
    throw fromSystemError(err, `write the init layer in ${dir}`);
  }
}
