// A small ext4 filesystem on a loop device, for tests of a full disk where tmpfs would not
// behave as a real disk does: ext4 keeps blocks for root (`reservedPercent`) that a
// container's processes, without CAP_SYS_RESOURCE, cannot take, and has its own metadata
// blocks. The image file is sparse; the filesystem is unmounted and its loop device detached
// when the test file ends, whether its tests passed or not.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export interface LoopDisk {
  /** Where the filesystem is mounted. */
  readonly path: string;
  /** The loop device it is on. */
  readonly device: string;
  /** Bytes a process without CAP_SYS_RESOURCE may still write (statfs's f_bavail). */
  available(): number;
  /**
   * Sizes a filler file (allocated, not sparse) so that about `bytes` stay available;
   * returns what is available then.
   */
  fillTo(bytes: number): number;
  /** Removes the filler. */
  unfill(): void;
}

export interface LoopDiskOptions {
  sizeMiB: number;
  /** mkfs.ext4's `-m`: the share of blocks kept for root (default 0: the disk is full for strata too). */
  reservedPercent?: number;
  /** Runs before the disk is unmounted, e.g. to remove the containers of a store on it. */
  beforeUnmount?: () => void;
}

export function mountLoopExt4(options: LoopDiskOptions): LoopDisk {
  const dir = mkdtempSync(join(tmpdir(), 'strata-loop-'));
  const image = join(dir, 'disk.img');
  const path = join(dir, 'mnt');
  mkdirSync(path);
  execFileSync('truncate', ['-s', `${options.sizeMiB}M`, image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', String(options.reservedPercent ?? 0), image]);
  const device = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
  const filler = join(path, 'filler');
  // Registered before the mount, so a failed mount still detaches the device.
  after(() => {
    try {
      // The filler goes first: a clean-up command needs room.
      if (mounted(path)) {
        rmSync(filler, { force: true });
        options.beforeUnmount?.();
      }
    } finally {
      unmount(path);
      execFileSync('losetup', ['-d', device]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  execFileSync('mount', [device, path]);
  const available = (): number => {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  };
  const unfill = (): void => rmSync(filler, { force: true });
  return {
    path,
    device,
    available,
    fillTo(bytes: number): number {
      unfill();
      const size = available() - bytes;
      if (size < 0) throw new Error(`${path} has only ${available()} bytes available, not ${bytes}`);
      if (size > 0) execFileSync('fallocate', ['-l', String(size), filler]);
      return available();
    },
    unfill,
  };
}

function mounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === path);
}

/** Unmounts the disk and what a failed test left mounted on it; lazily when still busy. */
function unmount(path: string): void {
  if (!mounted(path)) return;
  try {
    execFileSync('umount', ['-R', path], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', path], { stdio: 'ignore' });
  }
}
