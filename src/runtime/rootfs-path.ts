/**
 * Paths inside an untrusted rootfs, resolved as the container would see them, by the one
 * resolver (internal/path-in-root.ts): every symlink is followed relative to the rootfs (an
 * absolute target starts at the rootfs, `..` stops at it), so nothing resolves outside. Used
 * for /etc/passwd, /etc/group and the working directory before the container starts (nothing
 * in the rootfs runs yet, so the tree cannot change under us except by the caller).
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, readSync, chownSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoOf, fromSystemError, invalidArgument } from '../errdefs/index.ts';
import { openInRoot, resolveInRoot } from '../internal/index.ts';

/** Splits a container path into clean components (no empty, `.` components). */
function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Maps a container path to the host path it denotes inside `rootfs`, following symlinks
 * within the rootfs (like securejoin). Missing components are allowed: the rest of the
 * path is appended as is.
 * @param options.followLast false: a symlink as the last component is not followed (lstat)
 * @throws invalid-argument after too many symlinks (a loop).
 */
export function resolveInRootfs(rootfs: string, path: string, options: { followLast?: boolean } = {}): string {
  return resolveInRoot(rootfs, path, { what: `resolve ${path} in the container's root`, ...options });
}

/**
 * Reads a regular file at a container path, or returns undefined when there is none (or it is
 * not a regular file). Reads at most `maxBytes`.
 */
export function readRootfsFile(rootfs: string, path: string, maxBytes = 16 * 1024 * 1024): Buffer | undefined {
  let fd: number;
  try {
    fd = openInRoot(rootfs, path, constants.O_RDONLY | constants.O_NONBLOCK, { what: `read ${path} in the container's root` });
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT' || errno === 'ENOTDIR' || errno === 'ELOOP') return undefined;
    throw fromSystemError(err, `read ${path} in the container's root`);
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total >= maxBytes) break;
    }
    return Buffer.concat(chunks).subarray(0, maxBytes);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates a directory (and its missing parents) at a container path, as docker does for the
 * working directory: new directories get `mode` and `uid:gid`, existing ones are untouched.
 * Each missing component is created under its already resolved parent, so a symlink in
 * the rootfs can't redirect the creation outside it.
 * @returns the host path of the directory.
 * @throws invalid-argument `Cannot mkdir: /x is not a directory` when a component is a file.
 */
export function mkdirInRootfs(rootfs: string, path: string, owner: { uid: number; gid: number; mode?: number } = { uid: 0, gid: 0 }): string {
  const mode = owner.mode ?? 0o755;
  const parts = components(path);
  for (let i = 1; i <= parts.length; i++) {
    const prefix = '/' + parts.slice(0, i).join('/');
    const hostPath = resolveInRootfs(rootfs, prefix);
    let st;
    try {
      st = lstatSync(hostPath);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw fromSystemError(err, `create ${path} in the container's root`);
    }
    if (st !== undefined) {
      if (!st.isDirectory()) throw invalidArgument(`Cannot mkdir: ${path} is not a directory`);
      continue;
    }
    // A dangling link resolves to a path whose parents may be missing too: create the chain.
    const chain: string[] = [];
    for (let p = hostPath; p.length > rootfs.length && !existsSync(p); p = dirname(p)) chain.unshift(p);
    for (const dir of chain) {
      try {
        mkdirSync(dir, { mode });
        chmodSync(dir, mode); // exact mode, whatever the umask
        chownSync(dir, owner.uid, owner.gid);
      } catch (err) {
        if (errnoOf(err) === 'ENOTDIR') throw invalidArgument(`Cannot mkdir: ${path} is not a directory`);
        if (errnoOf(err) !== 'EEXIST') throw fromSystemError(err, `create ${path} in the container's root`);
      }
    }
  }
  return resolveInRootfs(rootfs, path);
}
