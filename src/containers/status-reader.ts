/**
 * What each container is doing, as docker reports it: the runtime's truth (state.ts) and
 * the record's removal mark. Looking also cleans up after crashes: a rootfs still mounted
 * for a container that doesn't run (and that no live command works on) is unmounted, a
 * dead process's lock (other than an rm's) is dropped.
 */
import { existsSync } from 'node:fs';
import { isMountPoint, mountPoints, unmountAll } from '../mount/index.ts';
import type { ContainerNetworking } from '../network/index.ts';
import { ZERO_TIME, type ReconciledState } from '../runtime/index.ts';
import { cgroupsPath, rootfsDir, type Container } from './container.ts';
import type { ContainerLookup } from './lookup.ts';
import type { ContainerRuntimes } from './runtimes.ts';
import { observe, observeSync, toStatus, type ContainerStatus } from './state.ts';
import { lockLive, removalState, type WorkLocks } from './work-lock.ts';

/** What a listing shows of a container. */
export interface ContainerListing {
  container: Container;
  status: ContainerStatus;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class ContainerStatusReader {
  constructor(
    private readonly lookup: ContainerLookup,
    private readonly locks: WorkLocks,
    private readonly runtimes: ContainerRuntimes,
    private readonly networking?: ContainerNetworking,
  ) {}

  /**
   * The container's state, cleaning up on the way (see the module comment). `mounted`, the
   * host's mount points when the caller has read them, saves a look per container.
   */
  async status(c: Container, mounted?: Set<string>): Promise<ContainerStatus> {
    let rt: ReconciledState;
    if (!existsSync(c.dir)) {
      rt = { status: 'created', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, oomKilled: false, error: '', shimPid: 0, shimStartTime: 0, supervised: false, paused: false };
    } else {
      rt = await observe(c.dir, c.id, this.runtimes.runtimeFor(c.stored.host.Runtime), this.runtimes.host, cgroupsPath(c));
    }
    const row = c.row;
    const live = lockLive(row);
    const running = rt.status === 'running' || rt.status === 'starting';
    if (row.lockPid !== 0 && !live) this.locks.dropDead(c);
    if (!running && !live) {
      // A network its supervisor could not tear down (killed), or whose addresses it could not give back.
      if (this.networking?.attached(c.dir)) {
        try {
          this.networking.detach(c.id, c.dir);
        } catch { /* the next look tries again */ }
      }
      const rootfs = rootfsDir(c);
      if (mounted === undefined ? isMountPoint(rootfs) : mounted.has(rootfs)) {
        try {
          unmountAll(rootfs);
        } catch {
          // busy (a shell cd'ed into it): the next look tries again
        }
      }
    }
    return toStatus(rt, removalState(row, live));
  }

  /**
   * Whether the container's rootfs is among `mounted` although the container doesn't run
   * and no live command works on it (a killed `run`, `start` or `cp` mounted it): what
   * `status` unmounts. Changes nothing (`system check` asks).
   */
  mountLeftOver(c: Container, mounted: Set<string>): boolean {
    return mounted.has(rootfsDir(c)) && !lockLive(c.row) && !this.statusSync(c).Running;
  }

  /**
   * Whether the container's network is still set up (or half set up) although it doesn't
   * run and no live command works on it (its supervisor was killed, or the host rebooted):
   * what `status` tears down. Changes nothing (`system check` asks).
   */
  networkLeftOver(c: Container): boolean {
    return this.networking?.attached(c.dir) === true && !lockLive(c.row) && !this.statusSync(c).Running;
  }

  /**
   * The state without asking the runtime or cleaning up (see `observeSync`): for
   * synchronous callers such as `system df` and `rmi`'s check.
   */
  statusSync(c: Container): ContainerStatus {
    const rt = observeSync(c.dir, c.id, this.runtimes.host, cgroupsPath(c));
    return toStatus(rt, removalState(c.row));
  }

  /** Every container (or only running ones) with its state, newest first. */
  async list(options: { all?: boolean } = {}): Promise<ContainerListing[]> {
    const mounted = new Set(mountPoints());
    const out: ContainerListing[] = [];
    for (const c of this.lookup.all()) {
      const status = await this.status(c, mounted);
      if (!options.all && !status.Running) continue;
      out.push({ container: c, status });
    }
    return out;
  }

  /**
   * Polls until the container no longer runs, or `timeoutMs` passes.
   * @returns its final state, or undefined on timeout.
   */
  async waitStopped(c: Container, timeoutMs = Infinity, signal?: AbortSignal): Promise<ContainerStatus | undefined> {
    const deadline = Date.now() + timeoutMs;
    let delay = 5;
    for (;;) {
      const s = await this.status(c);
      if (!s.Running) return s;
      if (Date.now() >= deadline || signal?.aborted) return undefined;
      await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
      delay = Math.min(delay * 2, 100);
    }
  }
}
