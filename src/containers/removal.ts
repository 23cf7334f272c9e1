/**
 * Removing containers: `rm` marks the record ('rm' lock), stops what runs, unmounts,
 * removes the snapshots, then deletes the rows and files. A crash part-way leaves the
 * record marked: `ps -a` shows it `Dead` and `rm` finishes the job. `container prune`
 * removes the stopped ones its filters pick, then sweeps the directories of records that
 * never were or are gone (a crash between mkdir and the insert, or during rm).
 */
import { join } from 'node:path';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { failedPrecondition, internal } from '../errdefs/index.ts';
import type { ContainerRecords, Database } from '../metadata/index.ts';
import { isMountPoint, unmountAll } from '../mount/index.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import { rootfsDir, type Container } from './container.ts';
import { writableLayerSize } from './container-sizes.ts';
import { removingInTransaction } from './removing-dir.ts';
import { containerFilter, PRUNE_FILTERS } from './filters.ts';
import type { ContainerLookup } from './lookup.ts';
import { signalContainer, type ContainerRuntimes } from './runtimes.ts';
import type { ContainerNetworking } from '../network/index.ts';
import type { ContainerStatusReader } from './status-reader.ts';
import { traceMark } from './trace.ts';
import type { VolumeStore } from './volumes.ts';
import type { WorkLocks } from './work-lock.ts';

export interface ContainerRemovalOptions {
  db: Database;
  records: ContainerRecords;
  lookup: ContainerLookup;
  snapshotter: Snapshotter;
  volumes: VolumeStore;
  runtimes: ContainerRuntimes;
  states: ContainerStatusReader;
  locks: WorkLocks;
  networking: ContainerNetworking;
}

export class ContainerRemoval {
  constructor(private readonly options: ContainerRemovalOptions) {}

  /**
   * `rm`: a stopped container (a running one with `force`, killed first), its layers,
   * files and records, and with `volumes` its anonymous volumes no other container uses.
   * @returns the anonymous volumes removed.
   * @throws failed-precondition for a running container without `force`.
   */
  async remove(c: Container, options: { force?: boolean; volumes?: boolean } = {}): Promise<string[]> {
    const { db, records, snapshotter, volumes, runtimes, states, locks } = this.options;
    const refuseRunning = (s: { Running: boolean; Paused: boolean }): void => {
      if (!s.Running || options.force) return;
      if (s.Paused) throw failedPrecondition(`You cannot remove a paused container ${c.id}. Unpause and then stop the container before attempting removal or force remove`);
      throw failedPrecondition(`You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`);
    };
    let status = await states.status(c);
    refuseRunning(status);
    traceMark('rm: status checked');
    await locks.take(c, 'rm');
    // A start may have run while this waited for the lock (a prune found the container stopped).
    status = await states.status(c);
    try {
      refuseRunning(status);
    } catch (err) {
      locks.release(c);
      throw err;
    }
    traceMark('rm: marked for removal');
    const runtime = runtimes.runtimeFor(c.stored.host.Runtime);
    if (status.Running) {
      await signalContainer(runtime, c.id, 'SIGKILL', status.Paused);
      const stopped = await states.waitStopped(c, 30_000);
      if (!stopped) throw internal(`could not kill container ${c.id}`);
      status = stopped;
    }
    // A supervisor that records a clean exit deletes the runtime's state itself.
    if (status.supervised || status.Error !== '' || !existsSync(join(c.dir, 'state.json'))) await runtime.delete(c.id, { force: true });
    if (this.options.networking.attached(c.dir)) this.options.networking.detach(c.id, c.dir);
    unmountAll(rootfsDir(c));
    snapshotter.remove(c.id);
    traceMark('rm: writable layer removed');
    snapshotter.remove(`${c.id}-init`);
    // The directories go aside with their records, and away after the commit. The
    // supervisor may still be finishing (deleting the runtime's state, which writes the
    // runtime log there): once moved, nothing new lands in the container's.
    const anonymous = removingInTransaction(db, (aside) => {
      const vols = volumes.records.ofContainer(c.id);
      records.delete(c.id);
      aside(c.dir);
      const gone: string[] = [];
      if (!options.volumes) return gone;
      for (const v of vols) {
        const row = volumes.records.get(v.volume);
        if (!row || row.anonymous !== 1 || volumes.records.users(v.volume).length > 0) continue;
        volumes.records.delete(v.volume);
        aside(volumes.dirOf(v.volume));
        gone.push(v.volume);
      }
      return gone;
    });
    traceMark('rm: records deleted');
    return anonymous;
  }

  /**
   * `container prune`: every container that doesn't run, picked by the filters docker's
   * takes (`until`, `label`, `label!`). Returns their IDs and the bytes their layers held.
   * @throws invalid-argument for another filter or a bad value.
   */
  async prune(filters: Map<string, string[]> = new Map()): Promise<{ deleted: string[]; reclaimed: number }> {
    const { lookup, snapshotter, states } = this.options;
    const pick = containerFilter(filters, { accepted: PRUNE_FILTERS, find: (ref) => lookup.find(ref) });
    const stopped = (await states.list({ all: true })).filter(({ status }) => !status.Running && !status.Paused);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const { container: c } of pick(stopped)) {
      const size = writableLayerSize(snapshotter, c);
      try {
        await this.remove(c);
        deleted.push(c.id);
        reclaimed += size;
      } catch {
        // started or busy meanwhile: kept
      }
    }
    this.sweep();
    return { deleted, reclaimed };
  }

  /** Removes container directories without a record older than `minAgeMs` (younger ones may be a create in flight). */
  sweep(minAgeMs = 60_000): string[] {
    const { records, lookup } = this.options;
    if (!existsSync(lookup.home)) return [];
    const removed: string[] = [];
    for (const name of readdirSync(lookup.home)) {
      if (records.get(name)) continue;
      const dir = join(lookup.home, name);
      try {
        if (statSync(dir).mtimeMs > Date.now() - minAgeMs) continue;
      } catch {
        continue;
      }
      const rootfs = join(dir, 'rootfs');
      if (isMountPoint(rootfs)) unmountAll(rootfs);
      rmSync(dir, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }
}
