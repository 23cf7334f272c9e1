/**
 * The closed set of error classes every strata module throws.
 *
 * Callers branch on `code`, never on a message. OS errors are translated into one
 * of these at the edge where they happen (see `fromSystemError`), so the CLI can map
 * each code to an exit status and a one-line message without knowing any module.
 */

export type ErrorCode =
  /** The named thing (image, blob, container, volume, file) does not exist. */
  | 'not-found'
  /** The thing being created exists already. */
  | 'already-exists'
  /** The input is malformed: a flag, a reference, a manifest, a tar entry, a Dockerfile line. */
  | 'invalid-argument'
  /** The input is fine but the state forbids the operation (an image in use, a running container). */
  | 'failed-precondition'
  /** Two writers raced and this one lost; retrying may succeed. */
  | 'conflict'
  /** A resource (registry, runtime, kernel feature) cannot be reached or used now. */
  | 'unavailable'
  /** The operating system refused (EACCES, EPERM). */
  | 'permission-denied'
  /** Stored data does not match its digest or cannot be parsed: corruption. */
  | 'data-loss'
  /** The feature is recognised but strata does not do it (yet). */
  | 'unimplemented'
  /** The operation was interrupted by the user or a signal. */
  | 'canceled'
  /** A bug: an invariant broke. */
  | 'internal';

export interface StrataErrorOptions {
  /** One sentence telling the user what to do about it. */
  hint?: string;
  cause?: unknown;
}

export class StrataError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: StrataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrataError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isStrataError(err: unknown, code?: ErrorCode): err is StrataError {
  return err instanceof StrataError && (code === undefined || err.code === code);
}

export const notFound = (message: string, options?: StrataErrorOptions): StrataError =>
  new StrataError('not-found', message, options);
export const alreadyExists = (message: string, options?: StrataErrorOptions): StrataError =>
  new StrataError('already-exists', message, options);
export const invalidArgument = (message: string, options?: StrataErrorOptions): StrataError =>
  new StrataError('invalid-argument', message, options);
export const failedPrecondition = (message: string, options?: StrataErrorOptions): StrataError =>
  new StrataError('failed-precondition', message, options);
export const dataLoss = (message: string, options?: StrataErrorOptions): StrataError =>
  new StrataError('data-loss', message, options);
export const unavailable = (message: string, options?: StrataErrorOptions): StrataError =>
  new StrataError('unavailable', message, options);
export const unimplemented = (message: string, options?: StrataErrorOptions): StrataError =>
  new StrataError('unimplemented', message, options);
export const internal = (message: string, options?: StrataErrorOptions): StrataError =>
  new StrataError('internal', message, options);

/** The errno of a Node system error, or undefined for anything else. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return undefined;
}

/**
 * What the C library calls each errno (strerror), as docker's messages and GNU tools word
 * them; Node's own texts differ ("illegal operation on a directory" for EISDIR).
 */
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  ENOTEMPTY: 'directory not empty',
  EBUSY: 'device or resource busy',
  EXDEV: 'invalid cross-device link',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/**
 * The errno an error stands for: a Node system error's own, and ENOSPC for SQLite's "database
 * or disk is full" (SQLITE_FULL: the disk under metadata.db filled up).
 */
function errnoClass(err: unknown): string | undefined {
  const errno = errnoOf(err);
  if (errno !== undefined) return errno;
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  return code === 'SQLITE_FULL' ? 'ENOSPC' : undefined;
}

/** Whether `err`, or an error it was translated from, says a disk (or a quota on it) is full. */
export function isOutOfSpace(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const errno = errnoClass(e);
    if (errno === 'ENOSPC' || errno === 'EDQUOT') return true;
  }
  return false;
}

/** strerror's text for an errno strata knows, e.g. `no space left on device` for ENOSPC. */
export function errnoText(errno: string): string | undefined {
  return ERRNO_TEXT[errno];
}

/**
 * Translates a Node system error into a StrataError that names what was being done:
 * `${what}: ${strerror}`, e.g. `write /mnt/x.tar: no space left on device`.
 * Anything that is already a StrataError passes through unchanged.
 */
export function fromSystemError(err: unknown, what: string): StrataError {
  if (err instanceof StrataError) return err;
  const errno = errnoClass(err);
  const text = errno === undefined ? undefined : ERRNO_TEXT[errno];
  const detail = text ?? (err instanceof Error ? err.message : String(err));
  switch (errno) {
    case 'ENOENT':
      return new StrataError('not-found', `${what}: no such file or directory`, { cause: err });
    case 'EEXIST':
      return new StrataError('already-exists', `${what}: already exists`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new StrataError('permission-denied', `${what}: permission denied`, {
        cause: err,
        hint: 'strata needs root for mounts and containers; run it as root or pick a --root you own',
      });
    case 'EROFS':
      return new StrataError('permission-denied', `${what}: ${detail}`, { cause: err });
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return new StrataError('unavailable', `${what}: ${detail}`, { cause: err });
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EINVAL':
    case 'ENAMETOOLONG':
    case 'ELOOP':
      return new StrataError('invalid-argument', `${what}: ${detail}`, { cause: err });
    default:
      return new StrataError('internal', `${what}: ${detail}`, { cause: err });
  }
}

/**
 * A system error that reached the user's edge without being translated where it happened:
 * named by its system call and path as Go's PathError does (`open /x/iid: no such file or
 * directory`); SQLite's full disk names `databasePath`. Undefined for anything that is not
 * a system error strata knows (a bug, reported as one).
 */
export function fromUntranslatedError(err: unknown, databasePath = 'the metadata database'): StrataError | undefined {
  if (err instanceof StrataError) return err;
  const errno = errnoClass(err);
  if (errno === undefined || ERRNO_TEXT[errno] === undefined) return undefined;
  const { syscall, path } = err as { syscall?: unknown; path?: unknown };
  if (errnoOf(err) === undefined) return fromSystemError(err, `write ${databasePath}`);
  const what = [syscall, path].filter((p): p is string => typeof p === 'string' && p !== '').join(' ');
  return fromSystemError(err, what === '' ? 'system call' : what);
}
