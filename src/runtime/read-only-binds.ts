/**
 * How a read-only bind is made read-only. As in docker 25, a read-only bind is read-only
 * all the way down: the runtime's `rro` option (mount_setattr with AT_RECURSIVE, Linux
 * 5.12+) covers every mount below its source too, where a plain `ro` covers the top mount
 * only (`-v /:/host:ro` would leave /host/dev/shm, /host/proc and /host/sys writable).
 * `bind-recursive=writable` asks for the plain `ro`, `bind-recursive=disabled` binds no
 * mounts below at all.
 *
 * Where the kernel or the runtime can't do `rro`, a plain `ro` is just as good for a source
 * with nothing mounted below it; any other mount is refused, naming it. (Docker falls back
 * to `ro` quietly there, leaving the mounts below writable.)
 */
import { realpathSync } from 'node:fs';
import { failedPrecondition } from '../errdefs/index.ts';
import { mountPoints } from '../mount/index.ts';
import type { BindMount, RuntimeMount } from './run-options.ts';

/** What the kernel and the runtime can do for read-only binds. */
export type RecursiveReadOnly =
  | { supported: true }
  | {
    supported: false;
    /** Why `rro` can't be used (docker's words). */
    reason: string;
    /** The mount points below the source of each bind that needs `rro`. */
    mountsBelow: ReadonlyMap<string, readonly string[]>;
  };

/** The part of an OCI runtime this needs: its name and the mount options it knows. */
export interface RuntimeMountFeatures {
  readonly name: string;
  /** Undefined when the runtime can't tell (runc before 1.1 has no `features`). */
  mountOptions(): readonly string[] | undefined;
}

/** Whether a bind needs `rro` to be read-only all the way down. */
export function needsRecursiveReadOnly(m: RuntimeMount): m is BindMount {
  return m.type === 'bind' && m.readOnly && m.nonRecursive !== true && m.readOnlyNonRecursive !== true;
}

/** Linux 5.12 brought mount_setattr, which `rro` needs. */
function kernelHasMountSetattr(release: string): boolean {
  const [major = 0, minor = 0] = release.split('.').map((n) => Number.parseInt(n, 10));
  return major > 5 || (major === 5 && minor >= 12);
}

/** Why this kernel or runtime can't do `rro`, or undefined when both can. */
export function recursiveReadOnlyUnsupported(kernelRelease: string, runtimeName: string, runtimeMountOptions: readonly string[] | undefined): string | undefined {
  if (!kernelHasMountSetattr(kernelRelease)) return `rro is not supported: kernel ${kernelRelease} is older than 5.12`;
  if (runtimeMountOptions === undefined) return `rro is not supported by runtime "${runtimeName}": it does not list its features (runc 1.1 or later does)`;
  if (!runtimeMountOptions.includes('rro')) return `rro is not supported by runtime "${runtimeName}"`;
  return undefined;
}

/** Mount points strictly below `source` (resolved as the kernel lists them). */
function mountsBelow(table: readonly string[], source: string): string[] {
  let real = source;
  try {
    real = realpathSync(source);
  } catch { /* the runtime will report a missing source */ }
  const prefix = real.endsWith('/') ? real : `${real}/`;
  return table.filter((p) => p.startsWith(prefix));
}

/**
 * What the kernel and `runtime` can do for these mounts. The runtime is asked only when a
 * mount needs `rro`; without a runtime to ask, `rro` is assumed (a runtime without it then
 * fails the start rather than leave anything writable).
 */
export function recursiveReadOnlySupport(mounts: readonly RuntimeMount[], kernelRelease: string, runtime?: RuntimeMountFeatures): RecursiveReadOnly {
  const needing = mounts.filter(needsRecursiveReadOnly);
  if (needing.length === 0 || runtime === undefined) return { supported: true };
  const reason = recursiveReadOnlyUnsupported(kernelRelease, runtime.name, runtime.mountOptions());
  if (reason === undefined) return { supported: true };
  const table = mountPoints();
  return { supported: false, reason, mountsBelow: new Map(needing.map((m) => [m.source, mountsBelow(table, m.source)])) };
}

/**
 * The option that makes a bind read-only: `rro`, or `ro` where that is as good; none for a
 * read-write bind.
 * @throws failed-precondition naming the mount when it can't be made read-only as asked.
 */
export function readOnlyOption(m: BindMount, support: RecursiveReadOnly = { supported: true }): 'ro' | 'rro' | undefined {
  if (!m.readOnly) return undefined;
  if (!needsRecursiveReadOnly(m)) return 'ro';
  if (support.supported) return 'rro';
  const below = support.mountsBelow.get(m.source);
  if (below !== undefined && below.length === 0 && m.readOnlyForceRecursive !== true) return 'ro';
  const why = below === undefined || below.length === 0 ? '' : `, and ${below[0]} is mounted below it${below.length > 1 ? ` (and ${below.length - 1} more)` : ''}`;
  throw failedPrecondition(`cannot make the bind mount of ${m.source} at ${m.destination} recursively read-only: ${support.reason}${why}`, {
    hint: 'that takes Linux 5.12 or later and an OCI runtime with the rro mount option (runc 1.1 or later); '
      + '--mount type=bind,…,readonly,bind-recursive=writable leaves the mounts below writable, bind-recursive=disabled leaves them out',
  });
}
