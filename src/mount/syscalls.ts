/**
 * mount(2), umount2(2) and the new mount API (fsopen, fsconfig, fsmount, move_mount),
 * through koffi, loaded on first use. The only place in strata that mounts anything.
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { fromSystemError, StrataError } from '../errdefs/index.ts';

interface MountLib {
  mount: (source: string, target: string, fstype: string | null, flags: bigint, data: string | null) => number;
  umount2: (target: string, flags: number) => number;
  fsopen: (fsname: string, flags: number) => number;
  fsconfig: (fd: number, cmd: number, key: string | null, value: string | null, aux: number) => number;
  fsmount: (fd: number, flags: number, attrFlags: number) => number;
  moveMount: (fromFd: number, fromPath: string, toFd: number, toPath: string, flags: number) => number;
  close: (fd: number) => number;
  errno: () => number;
  errnoNames: Map<number, string>;
}

let lib: MountLib | undefined;

function load(): MountLib {
  if (lib) return lib;
  const require = createRequire(import.meta.url);
  let koffi: typeof Koffi;
  try {
    koffi = require('koffi') as typeof Koffi;
  } catch (err) {
    throw new StrataError('unavailable', 'cannot load koffi, which strata needs to mount layers', { cause: err });
  }
  const libc = koffi.load('libc.so.6');
  const errnoNames = new Map<number, string>();
  for (const [name, value] of Object.entries(koffi.os.errno)) if (!errnoNames.has(value)) errnoNames.set(value, name);
  lib = {
    mount: libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)') as MountLib['mount'],
    umount2: libc.func('int umount2(const char *target, int flags)') as MountLib['umount2'],
    fsopen: libc.func('int fsopen(const char *fsname, unsigned int flags)') as MountLib['fsopen'],
    fsconfig: libc.func('int fsconfig(int fd, unsigned int cmd, const char *key, const char *value, int aux)') as MountLib['fsconfig'],
    fsmount: libc.func('int fsmount(int fd, unsigned int flags, unsigned int attr_flags)') as MountLib['fsmount'],
    moveMount: libc.func('int move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags)') as MountLib['moveMount'],
    close: libc.func('int close(int fd)') as MountLib['close'],
    errno: () => koffi.errno(),
    errnoNames,
  };
  return lib;
}

/** A system error for the current errno, as a StrataError naming what was done. */
export function syscallError(what: string): StrataError {
  const l = load();
  const errno = l.errno();
  const code = l.errnoNames.get(errno) ?? `E${errno}`;
  return fromSystemError(Object.assign(new Error(`${what}: ${code}`), { code, errno: -errno }), what);
}

export function errnoName(): string {
  const l = load();
  return l.errnoNames.get(l.errno()) ?? String(l.errno());
}

export const MS_RDONLY = 0x1n;
export const MS_BIND = 0x1000n;
export const MS_REC = 0x4000n;
export const MS_REMOUNT = 0x20n;
export const MNT_DETACH = 0x2;
export const FSCONFIG_SET_STRING = 1;
export const FSCONFIG_CMD_CREATE = 6;
export const FSOPEN_CLOEXEC = 0x1;
export const FSMOUNT_CLOEXEC = 0x1;
export const MOUNT_ATTR_RDONLY = 0x1;
export const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
const AT_FDCWD = -100;

export function sysMount(source: string, target: string, fstype: string | null, flags: bigint, data: string | null): void {
  if (load().mount(source, target, fstype, flags, data) !== 0) throw syscallError(`mount ${fstype ?? 'bind'} on ${target}`);
}

/** Unmounts; returns the errno name on failure instead of throwing (callers decide). */
export function sysUnmount(target: string, flags = 0): string | undefined {
  return load().umount2(target, flags) === 0 ? undefined : errnoName();
}

/**
 * Mounts a filesystem through the new mount API: one fsconfig call per option, so no
 * option string has to fit in a page (how overlay takes 500 lower layers with `lowerdir+`).
 * @throws with the failing option named
 */
export function fsMount(fstype: string, options: [string, string][], target: string, readonly: boolean): void {
  const l = load();
  const fd = l.fsopen(fstype, FSOPEN_CLOEXEC);
  if (fd < 0) throw syscallError(`fsopen ${fstype}`);
  try {
    for (const [key, value] of options) {
      if (l.fsconfig(fd, FSCONFIG_SET_STRING, key, value, 0) !== 0) throw syscallError(`${fstype} option ${key}=${value}`);
    }
    if (l.fsconfig(fd, FSCONFIG_CMD_CREATE, null, null, 0) !== 0) throw syscallError(`create ${fstype} mount for ${target}`);
    const mfd = l.fsmount(fd, FSMOUNT_CLOEXEC, readonly ? MOUNT_ATTR_RDONLY : 0);
    if (mfd < 0) throw syscallError(`fsmount ${fstype} for ${target}`);
    try {
      if (l.moveMount(mfd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) !== 0) throw syscallError(`move_mount ${fstype} to ${target}`);
    } finally {
      l.close(mfd);
    }
  } finally {
    l.close(fd);
  }
}
