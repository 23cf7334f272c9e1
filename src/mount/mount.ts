/**
 * The Mount value modules hand each other (containerd's shape: type, source, options) and
 * the only code that mounts and unmounts it. Snapshotters return Mount[] as data; the
 * caller decides where and when to mount.
 */
import { readFileSync } from 'node:fs';
import { invalidArgument, StrataError } from '../errdefs/index.ts';
import { crashPoint } from '../internal/index.ts';
import { OVERLAY_MAX_LOWER } from './limits.ts';
import { fsMount, MNT_DETACH, MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT, sysMount, sysUnmount } from './syscalls.ts';

export interface Mount {
  /** `overlay`, `bind`, `tmpfs`… */
  type: string;
  source: string;
  /** For overlay: `lowerdir=/a:/b` (top first), `upperdir=…`, `workdir=…`; for bind: `rbind`, `ro`. */
  options: string[];
}

function optionValue(mount: Mount, key: string): string | undefined {
  const prefix = `${key}=`;
  return mount.options.find((o) => o.startsWith(prefix))?.slice(prefix.length);
}

function mountOverlay(mount: Mount, target: string): void {
  const lower = optionValue(mount, 'lowerdir');
  if (lower === undefined) throw invalidArgument('overlay mount without lowerdir');
  const lowers = lower.split(':');
  if (lowers.length > OVERLAY_MAX_LOWER) {
    throw invalidArgument(`an image of ${lowers.length} layers cannot be mounted: overlayfs stacks at most ${OVERLAY_MAX_LOWER} layers`);
  }
  const upper = optionValue(mount, 'upperdir');
  const work = optionValue(mount, 'workdir');
  const readonly = mount.options.includes('ro') || upper === undefined;
  const options: [string, string][] = lowers.map((dir) => ['lowerdir+', dir]);
  if (upper !== undefined && work !== undefined) {
    options.push(['upperdir', upper], ['workdir', work]);
  }
  for (const o of mount.options) {
    if (o === 'index=off' || o === 'redirect_dir=off' || o === 'metacopy=off' || o === 'userxattr') {
      const [k, v] = o.split('=') as [string, string | undefined];
      options.push([k, v ?? '']);
    }
  }
  // A read-only overlay needs at least two lower layers; a single layer is a bind mount.
  if (upper === undefined && lowers.length === 1) {
    sysMount(lowers[0] as string, target, null, MS_BIND, null);
    sysMount('', target, null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
    return;
  }
  fsMount('overlay', options, target, readonly);
}

/** Mounts `mounts` in order on `target` (later ones on top). */
export function mountAll(mounts: Mount[], target: string): void {
  for (const m of mounts) {
    if (m.type === 'overlay') mountOverlay(m, target);
    else if (m.type === 'bind') {
      const flags = MS_BIND | (m.options.includes('rbind') ? MS_REC : 0n);
      sysMount(m.source, target, null, flags, null);
      if (m.options.includes('ro')) sysMount('', target, null, MS_BIND | MS_REMOUNT | MS_RDONLY | (m.options.includes('rbind') ? MS_REC : 0n), null);
    } else {
      sysMount(m.source, target, m.type, m.options.includes('ro') ? MS_RDONLY : 0n, m.options.filter((o) => o !== 'ro' && o !== 'rw').join(',') || null);
    }
  }
  crashPoint('mount');
}

/**
 * Unmounts everything at `target`. EINVAL (not a mount point) is fine; EBUSY falls back
 * to a lazy detach so a stuck user never leaves the store unremovable.
 */
export function unmountAll(target: string): void {
  for (let i = 0; i < 32 && isMountPoint(target); i++) {
    const err = sysUnmount(target);
    if (err === undefined) {
      crashPoint('unmount');
      continue;
    }
    if (err === 'EINVAL' || err === 'ENOENT') return;
    if (err === 'EBUSY') {
      const lazy = sysUnmount(target, MNT_DETACH);
      if (lazy === undefined) {
        crashPoint('unmount');
        continue;
      }
    }
    throw new StrataError('failed-precondition', `unmount ${target}: ${err}`);
  }
}

/** Mount points from /proc/self/mountinfo (field 5), with the kernel's octal escapes undone. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

export function isMountPoint(path: string): boolean {
  return mountPoints().includes(path);
}
