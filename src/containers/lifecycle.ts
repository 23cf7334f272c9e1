/**
 * A container's life after create: `start` (rootfs mounted, bundle written, supervisor
 * started), the clean-up after an attached container's exit, `stop`, `kill`, `pause`,
 * `unpause`, with docker's messages.
 *
 * start takes the record's work lock ('start'), mounts rootfs, writes the bundle and starts
 * the supervisor; the lock is dropped once the supervisor owns the container. A crash in
 * between leaves a lock whose process is dead: the next command that looks at the
 * container unmounts its rootfs and drops the lock. At the exit the supervisor records it;
 * whoever is around unmounts rootfs: the foreground CLI (`afterExit`), the detached
 * supervisor's exit hook (umount, or `rm` for `--rm`), or, after a crash, the next command
 * that reads the container's state.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failedPrecondition, internal } from '../errdefs/index.ts';
import { inTransaction, type ContainerRecords, type Database } from '../metadata/index.ts';
import { unmountAll } from '../mount/index.ts';
import { asNetworkAttachError, type ContainerNetworking } from '../network/index.ts';
import {
  createBundle, findExecutable, oomCounterFile, parseSignal, processStartTime, startContainer,
  type OciRuntime, type RunOptions, type StartContainerOptions, type StartedContainer,
} from '../runtime/index.ts';
import { rootfsDir, type Container } from './container.ts';
import type { StoredContainer } from './container-config.ts';
import type { ContainerLookup } from './lookup.ts';
import type { ContainerRemoval } from './removal.ts';
import type { ContainerRootfs } from './rootfs.ts';
import { networkStatusOf } from './network-view.ts';
import { runtimeMounts } from './runtime-mounts.ts';
import { signalContainer, type ContainerRuntimes } from './runtimes.ts';
import type { ContainerStatusReader } from './status-reader.ts';
import { traceMark } from './trace.ts';
import type { VolumeStore } from './volumes.ts';
import type { WorkLocks } from './work-lock.ts';

export interface StartRequest {
  /** Foreground: attach the caller's stdio (stdin with `-i`); `wait()` gives the exit. */
  attach?: boolean;
  /** `-i` in the foreground: the caller's stdin reaches the process. */
  stdin?: boolean;
  stdio?: StartContainerOptions['stdio'];
  sigProxy?: boolean;
  consoleSize?: { height: number; width: number };
  /**
   * For a `--rm` container: the command its supervisor runs after the exit to remove it (in
   * the foreground only if the caller was killed before it could remove it itself).
   */
  removeCommand?: string[];
  /** Where the supervisor appends docker's `start` and `die` events. */
  events?: StartContainerOptions['events'];
}

export interface ContainerLifecycleOptions {
  db: Database;
  records: ContainerRecords;
  lookup: ContainerLookup;
  volumes: VolumeStore;
  runtimes: ContainerRuntimes;
  states: ContainerStatusReader;
  locks: WorkLocks;
  rootfs: ContainerRootfs;
  removal: ContainerRemoval;
  networking: ContainerNetworking;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readStateFile(c: Container): { shimPid: number; shimStartTime: number } | undefined {
  try {
    return JSON.parse(readFileSync(join(c.dir, 'state.json'), 'utf8')) as { shimPid: number; shimStartTime: number };
  } catch {
    return undefined;
  }
}

/** The container's stop signal: `--stop-signal`, the image's STOPSIGNAL, else SIGTERM. */
function stopSignal(c: Container): string {
  return c.stored.config.StopSignal || 'SIGTERM';
}

export class ContainerLifecycle {
  constructor(private readonly options: ContainerLifecycleOptions) {}

  private runtimeOf(c: Container): OciRuntime {
    return this.options.runtimes.runtimeFor(c.stored.host.Runtime);
  }

  /** Waits for a finished supervisor (or its exit hook) to be gone, so it can't undo a new start. */
  private async waitSupervisorGone(c: Container): Promise<void> {
    const state = readStateFile(c);
    if (state === undefined || state.shimPid <= 0) return;
    const deadline = Date.now() + 5000;
    while (processStartTime(state.shimPid) === state.shimStartTime && Date.now() < deadline) await sleep(10);
  }

  /**
   * Starts a created or stopped container. Detached (no `attach`), it returns once the
   * supervisor runs it; attached, `wait()` on the result gives its exit, and the caller
   * calls `afterExit`.
   * @throws ContainerStartError (docker's message and exit status) when the runtime can't
   *   start it; failed-precondition when it is being removed or is busy.
   */
  async start(c: Container, request: StartRequest = {}): Promise<StartedContainer | undefined> {
    const { db, records, volumes, runtimes, states, locks } = this.options;
    const status = await states.status(c);
    if (status.Running) return undefined;
    if (status.removing) throw failedPrecondition('Container is marked for removal and cannot be started');
    runtimes.launcher(c.stored.host.Runtime);
    await locks.take(c, 'start');
    let started: StartedContainer | undefined;
    let networked = false;
    try {
      await this.waitSupervisorGone(c);
      traceMark('start: state read, lock taken');
      const rootfs = this.options.rootfs.mount(c);
      traceMark('start: rootfs mounted');
      const { mounts, filled } = runtimeMounts(c, rootfs, volumes);
      if (filled.length > 0) {
        const stored: StoredContainer = { ...c.stored, copyPending: c.stored.copyPending.filter((d) => !filled.includes(d)) };
        inTransaction(db, () => records.setConfig(c.id, JSON.stringify(stored)));
        c.stored = stored;
      }
      const run = c.stored.run;
      const options: RunOptions = { ...run, id: c.id, mounts, tty: run.tty === true };
      if (request.consoleSize) options.consoleSize = request.consoleSize;
      if (c.stored.net !== undefined) {
        networked = true;
        const net = await this.options.networking.attach({ id: c.id, name: c.name, dir: c.dir, spec: c.stored.net });
        traceMark('start: network set up');
        options.netnsPath = net.netns;
        options.ownHosts = net.networks.slice(0, 1).map((n) => ({ ip: n.ip, name: c.stored.config.Hostname }));
        const dns = net.networks.filter((n) => n.dns).map((n) => n.gateway);
        if (dns.length > 0) options.resolvers = dns;
      }
      if (c.stored.netContainer !== undefined) Object.assign(options, await this.sharedNetwork(c.stored.netContainer));
      // `--add-host NAME:host-gateway`: the host as the container reaches it (docker's default bridge gateway).
      if (options.extraHosts?.some((h) => h.ip === 'host-gateway')) {
        const gateway = this.options.networking.store.find('bridge').gateway;
        options.extraHosts = options.extraHosts.map((h) => (h.ip === 'host-gateway' ? { ...h, ip: gateway } : h));
      }
      const runtime = this.runtimeOf(c);
      const bundle = createBundle({ bundleDir: c.dir, rootfs, image: c.stored.image, options, host: runtimes.host, runtime });
      traceMark('start: bundle written');
      const detach = request.attach !== true;
      // What the supervisor does after the exit: a detached container's cleanup; in the
      // foreground, the launcher's cleanup should the launcher be killed before it.
      let exitHook: string[] | undefined;
      if (c.stored.host.AutoRemove && request.removeCommand && request.removeCommand.length > 0) exitHook = request.removeCommand;
      else {
        const umount = findExecutable('umount');
        if (umount !== undefined) exitHook = [umount, rootfs];
        // The network goes first: the supervisor's hook tears it down, then unmounts.
        if (networked) exitHook = this.options.networking.exitHook(c.id, c.dir, exitHook ?? []);
      }
      traceMark('start: launching the supervisor');
      started = await startContainer({
        runtime, id: c.id, bundleDir: c.dir, containerDir: c.dir, shim: runtimes.shim(), tty: options.tty === true,
        stdin: request.stdin === true || (detach && c.stored.config.OpenStdin), detach,
        oomFile: oomCounterFile(runtimes.host, bundle.spec.linux.cgroupsPath as string),
        ...(request.stdio ? { stdio: request.stdio } : {}),
        ...(request.sigProxy !== undefined ? { sigProxy: request.sigProxy } : {}),
        ...(exitHook ? { exitHook } : {}),
        ...(request.events ? { events: request.events } : {}),
      });
      traceMark('start: supervisor reports the container started');
      return started;
    } finally {
      locks.release(c);
      if (started === undefined) {
        // Nothing runs: don't leave the layers mounted nor the network set up.
        if (networked) this.options.networking.detach(c.id, c.dir);
        try {
          unmountAll(rootfsDir(c));
        } catch { /* the next look retries */ }
      }
    }
  }

  /**
   * `--network container:ID`: the namespace of that container's process, and its address
   * for /etc/hosts.
   * @throws failed-precondition when it is gone or doesn't run, as docker's daemon says.
   */
  private async sharedNetwork(id: string): Promise<Pick<RunOptions, 'netnsPath' | 'ownHosts'>> {
    const other = this.options.lookup.lookup(id);
    if (other === undefined) throw asNetworkAttachError(failedPrecondition(`No such container: ${id}`));
    const status = await this.options.states.status(other);
    if (!status.Running || status.Pid <= 0) throw asNetworkAttachError(failedPrecondition(`cannot join network namespace of a non running container: ${id}`));
    const net = networkStatusOf(other)?.networks[0];
    return { netnsPath: `/proc/${status.Pid}/ns/net`, ...(net ? { ownHosts: [{ ip: net.ip, name: other.stored.config.Hostname }] } : {}) };
  }

  /** After an attached container exited: unmount its layers, and remove it with `--rm`. */
  async afterExit(c: Container): Promise<boolean> {
    const fresh = this.options.lookup.lookup(c.id);
    if (fresh === undefined) return false;
    const status = await this.options.states.status(fresh);
    if (status.Running) return false;
    traceMark('exit: state read');
    if (!fresh.stored.host.AutoRemove) return false;
    await this.options.removal.remove(fresh, { volumes: true, force: true });
    traceMark('exit: removed');
    return true;
  }

  /**
   * `stop`: the stop signal, then SIGKILL after `timeoutSec` (default `--stop-timeout`,
   * else 10; negative waits forever). A container that doesn't run is left as it is.
   * `signalled` hears of each signal just before it is sent (docker's `kill` events of a stop:
   * before the supervisor's `die`).
   * @returns whether it ran (and was stopped).
   */
  async stop(c: Container, timeoutSec?: number, signalled: (signal: number) => void = () => undefined): Promise<boolean> {
    const { states } = this.options;
    const status = await states.status(c);
    if (!status.Running) return false;
    const runtime = this.runtimeOf(c);
    const timeout = timeoutSec ?? c.stored.config.StopTimeout ?? 10;
    if (timeout !== 0) {
      signalled(parseSignal(stopSignal(c)).number);
      await signalContainer(runtime, c.id, stopSignal(c), status.Paused);
      if (await states.waitStopped(c, timeout < 0 ? Infinity : timeout * 1000)) return true;
    }
    signalled(9);
    await signalContainer(runtime, c.id, 'SIGKILL', status.Paused);
    if (!(await states.waitStopped(c, 30_000))) throw internal(`container ${c.id} did not stop after SIGKILL`);
    return true;
  }

  /**
   * `kill`: sends a signal (default SIGKILL) to the container's main process; `signalled` hears of it just before (docker's `kill` event, before the `die`).
   * @throws failed-precondition `Container <id> is not running`; invalid-argument for a bad signal.
   */
  async kill(c: Container, signal = 'KILL', signalled: (signal: number) => void = () => undefined): Promise<void> {
    const sig = parseSignal(signal);
    const status = await this.options.states.status(c);
    if (!status.Running) throw failedPrecondition(`Container ${c.id} is not running`);
    signalled(sig.number);
    await signalContainer(this.runtimeOf(c), c.id, String(sig.number), status.Paused && sig.number === 9);
  }

  /** @throws failed-precondition `Container <id> is not running` / `is already paused`. */
  async pause(c: Container): Promise<void> {
    const status = await this.options.states.status(c);
    if (!status.Running) throw failedPrecondition(`Container ${c.id} is not running`);
    if (status.Paused) throw failedPrecondition(`Container ${c.id} is already paused`);
    await this.runtimeOf(c).pause(c.id);
  }

  /** @throws failed-precondition `Container <id> is not paused`. */
  async unpause(c: Container): Promise<void> {
    const status = await this.options.states.status(c);
    if (!status.Paused) throw failedPrecondition(`Container ${c.id} is not paused`);
    await this.runtimeOf(c).resume(c.id);
  }
}
