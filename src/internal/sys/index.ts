/**
 * Syscalls Node's fs lacks (device nodes, extended attributes), loaded lazily through koffi.
 * Setting times on a symlink needs nothing here: `fs.lutimesSync` does it (utimensat with
 * AT_SYMLINK_NOFOLLOW), as does `fs.lchownSync` for owners.
 */
export { lgetxattr, lgetxattrs, llistxattr, lremovexattr, lsetxattr, makedev, mknod, splitDev } from './libc.ts';
export type { PathLike } from './libc.ts';
