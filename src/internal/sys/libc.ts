/**
 * The few libc calls Node lacks, through koffi (an FFI whose binary ships in its npm
 * package). libc is loaded on first use, so commands that never touch layers do not pay
 * for it. Every failure becomes a StrataError naming the call and the path.
 *
 * mount(2)/umount(2) are deliberately absent: they belong to src/mount/.
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { fromSystemError, StrataError } from '../../errdefs/index.ts';

export type PathLike = string | Buffer;

interface Libc {
  mknod: (path: Buffer, mode: number, dev: bigint) => number;
  lsetxattr: (path: Buffer, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: Buffer, name: string, value: Buffer, size: number) => number | bigint;
  llistxattr: (path: Buffer, list: Buffer, size: number) => number | bigint;
  lremovexattr: (path: Buffer, name: string) => number;
  errno: () => number;
  errnoNames: Map<number, string>;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc !== undefined) return libc;
  const require = createRequire(import.meta.url);
  let koffi: typeof Koffi;
  try {
    koffi = require('koffi') as typeof Koffi;
  } catch (err) {
    throw new StrataError('unavailable', 'cannot load koffi, which strata needs for mknod and xattrs', { cause: err });
  }
  const lib = koffi.load('libc.so.6');
  const errnoNames = new Map<number, string>();
  for (const [name, value] of Object.entries(koffi.os.errno)) if (!errnoNames.has(value)) errnoNames.set(value, name);
  libc = {
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as Libc['mknod'],
    lsetxattr: lib.func(
      'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
    ) as Libc['lsetxattr'],
    lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)') as Libc['lgetxattr'],
    llistxattr: lib.func('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)') as Libc['llistxattr'],
    lremovexattr: lib.func('int lremovexattr(const char *path, const char *name)') as Libc['lremovexattr'],
    errno: () => koffi.errno(),
    errnoNames,
  };
  return libc;
}

/** A NUL-terminated copy of the path, byte for byte (Buffers pass non-UTF-8 names through). */
function cPath(path: PathLike): Buffer {
  const bytes = typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
  const out = Buffer.allocUnsafe(bytes.length + 1);
  bytes.copy(out);
  out[bytes.length] = 0;
  return out;
}

function show(path: PathLike): string {
  return JSON.stringify(typeof path === 'string' ? path : path.toString('utf8'));
}

/** A Node-style system error for `errno`, translated by errdefs (xattr support gets its own code). */
function failure(c: Libc, syscall: string, path: PathLike, detail = ''): StrataError {
  const errno = c.errno();
  const code = c.errnoNames.get(errno) ?? `E${errno}`;
  const err = Object.assign(new Error(`${syscall} ${show(path)}${detail}: ${code}`), { code, errno: -errno, syscall });
  if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
    return new StrataError('unavailable', `${syscall} ${show(path)}${detail}: the filesystem does not support this extended attribute`, {
      cause: err,
    });
  }
  return fromSystemError(err, `${syscall} ${show(path)}${detail}`);
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** Linux's dev_t encoding (glibc's makedev). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** Major and minor numbers of a `stat.rdev`. */
export function splitDev(rdev: number | bigint): { major: number; minor: number } {
  const d = BigInt(rdev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

/**
 * Creates a device node or fifo (the overlay whiteout is `mknod(path, 'char', 0, 0, 0)`).
 * The mode's permission bits are subject to the umask, like mknod(2); chmod afterwards for exact bits.
 * @throws StrataError already-exists, not-found, permission-denied, …
 */
export function mknod(path: PathLike, type: 'char' | 'block' | 'fifo', mode: number, major = 0, minor = 0): void {
  const c = load();
  const kind = type === 'char' ? S_IFCHR : type === 'block' ? S_IFBLK : S_IFIFO;
  if (c.mknod(cPath(path), kind | (mode & 0o7777), type === 'fifo' ? 0n : makedev(major, minor)) !== 0) {
    throw failure(c, 'mknod', path);
  }
}

/** Sets an extended attribute on the path itself (never following a final symlink). Binary-safe. */
export function lsetxattr(path: PathLike, name: string, value: Buffer): void {
  const c = load();
  if (c.lsetxattr(cPath(path), name, value, value.length, 0) !== 0) throw failure(c, 'lsetxattr', path, ` ${name}`);
}

// XATTR_SIZE_MAX and XATTR_LIST_MAX are both 64 KiB on Linux: one buffer fits any answer.
let scratch: Buffer | undefined;
const XATTR_MAX = 64 * 1024;

/** The value of an extended attribute, or undefined when the path has none by that name. */
export function lgetxattr(path: PathLike, name: string): Buffer | undefined {
  const c = load();
  scratch ??= Buffer.alloc(XATTR_MAX);
  const n = Number(c.lgetxattr(cPath(path), name, scratch, XATTR_MAX));
  if (n < 0) {
    const code = c.errnoNames.get(c.errno());
    if (code === 'ENODATA') return undefined;
    throw failure(c, 'lgetxattr', path, ` ${name}`);
  }
  return Buffer.from(scratch.subarray(0, n));
}

/** The names of every extended attribute of the path (in the kernel's order). */
export function llistxattr(path: PathLike): string[] {
  const c = load();
  scratch ??= Buffer.alloc(XATTR_MAX);
  const n = Number(c.llistxattr(cPath(path), scratch, XATTR_MAX));
  if (n < 0) {
    const code = c.errnoNames.get(c.errno());
    if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') return [];
    throw failure(c, 'llistxattr', path);
  }
  if (n === 0) return [];
  return scratch.toString('utf8', 0, n - 1).split('\0');
}

/** Removes an extended attribute; a missing one is not an error. */
export function lremovexattr(path: PathLike, name: string): void {
  const c = load();
  if (c.lremovexattr(cPath(path), name) !== 0) {
    if (c.errnoNames.get(c.errno()) === 'ENODATA') return;
    throw failure(c, 'lremovexattr', path, ` ${name}`);
  }
}

/** Every extended attribute of the path, values byte for byte. */
export function lgetxattrs(path: PathLike): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of llistxattr(path)) {
    const value = lgetxattr(path, name);
    if (value !== undefined) out.set(name, value);
  }
  return out;
}
