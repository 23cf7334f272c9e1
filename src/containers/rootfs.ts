/**
 * A container's merged tree (`<dir>/rootfs`): mounted while it runs, or for as long as a
 * command works on its files (`cp`, `export`), under the work lock; and frozen while those
 * files are read or written, so its processes can't swap a path for a symlink meanwhile.
 */
import { mkdirSync } from 'node:fs';
import { isMountPoint, mountAll, unmountAll } from '../mount/index.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import { rootfsDir, type Container } from './container.ts';
import type { ContainerRuntimes } from './runtimes.ts';
import type { ContainerStatus } from './state.ts';
import type { ContainerStatusReader } from './status-reader.ts';
import type { WorkLocks } from './work-lock.ts';

/** What file commands need of a container: its tree, and a freeze around the work on it. */
export interface ContainerFiles {
  withRootfs<T>(c: Container, fn: (rootfs: string, status: ContainerStatus) => Promise<T>): Promise<T>;
  whilePaused<T>(c: Container, status: ContainerStatus, fn: () => Promise<T>): Promise<T>;
  /** The directory the writable layers are in: what a copy into a container's root fills up. */
  writableLayersHome(): string;
}

export class ContainerRootfs implements ContainerFiles {
  constructor(
    private readonly snapshotter: Snapshotter,
    private readonly states: ContainerStatusReader,
    private readonly locks: WorkLocks,
    private readonly runtimes: ContainerRuntimes,
  ) {}

  /** Mounts the container's layers at its rootfs directory (idempotent); returns the directory. */
  mount(c: Container): string {
    const rootfs = rootfsDir(c);
    mkdirSync(rootfs, { recursive: true, mode: 0o755 });
    if (!isMountPoint(rootfs)) mountAll(this.snapshotter.mounts(c.id), rootfs);
    return rootfs;
  }

  /**
   * Runs `fn` with the container's merged tree mounted: the running container's own
   * mount, else a mount held under the work lock for the duration.
   */
  async withRootfs<T>(c: Container, fn: (rootfs: string, status: ContainerStatus) => Promise<T>): Promise<T> {
    const status = await this.states.status(c);
    if (status.Running) return fn(rootfsDir(c), status);
    await this.locks.take(c, 'mount');
    let mountedHere = false;
    const rootfs = rootfsDir(c);
    try {
      mkdirSync(rootfs, { recursive: true, mode: 0o755 });
      if (!isMountPoint(rootfs)) {
        mountAll(this.snapshotter.mounts(c.id), rootfs);
        mountedHere = true;
      }
      return await fn(rootfs, status);
    } finally {
      if (mountedHere) {
        try {
          unmountAll(rootfs);
        } catch { /* retried by the next look */ }
      }
      this.locks.release(c);
    }
  }

  writableLayersHome(): string {
    return this.snapshotter.home;
  }

  /** Freezes a running container for the duration of `fn` (docker's `commit --pause`, and cp's guard against path swaps). */
  async whilePaused<T>(c: Container, status: ContainerStatus, fn: () => Promise<T>): Promise<T> {
    if (!status.Running || status.Paused) return fn();
    const runtime = this.runtimes.runtimeFor(c.stored.host.Runtime);
    await runtime.pause(c.id);
    try {
      return await fn();
    } finally {
      try {
        await runtime.resume(c.id);
      } catch { /* it exited meanwhile */ }
    }
  }
}
