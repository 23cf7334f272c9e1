/**
 * Containers: records, their layers and their lifecycle, with no daemon. Every command
 * opens the store, does its work and leaves; a small supervisor per running container
 * (runtime/'s strata-shim) keeps its logs and records its exit.
 *
 * A container is, on disk:
 *   - a row in `containers` (name, image, config JSON) and its volumes' rows;
 *   - two snapshots: `<id>-init` (the init layer, see init-layer.ts) on the image's top
 *     layer, and `<id>` (its writable layer) on that;
 *   - `<root>/containers/<id>/`: the runtime bundle (config.json, hosts, hostname,
 *     resolv.conf), the supervisor's state file and json-file log, and `rootfs/`, where
 *     its layers are mounted while it runs (or while a command works on its files).
 *
 * Each concern has its module, with its crash-safety rules: lookup.ts (finding and
 * renaming), work-lock.ts (one command at a time on a container), status-reader.ts (state
 * and the clean-up after crashes), create.ts with mount-plan.ts, lifecycle.ts (start, stop,
 * kill, pause), removal.ts (rm, prune, sweep), processes.ts (exec, top), rootfs.ts (the
 * merged tree for file commands). This class wires them to one store and is what the
 * commands use.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failedPrecondition, invalidArgument } from '../errdefs/index.ts';
import { randomHexId } from '../internal/index.ts';
import { ContainerRecords, inTransaction, type Database } from '../metadata/index.ts';
import type { ImageStore } from '../images/index.ts';
import type { Digest } from '../oci/index.ts';
import { ContainerNetworking, type ContainerNetworkSpec } from '../network/index.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import type { StartedContainer } from '../runtime/index.ts';
import type { Change } from '../snapshots/index.ts';
import type { CommitOptions } from './commit.ts';
import type { Container } from './container.ts';
import { imageLayersSize, writableLayerSize } from './container-sizes.ts';
import { ContainerCreator, type CreateRequest } from './create.ts';
import type { ContainerInspectOptions } from './inspect.ts';
import { ContainerLifecycle, type StartRequest } from './lifecycle.ts';
import { ContainerLookup } from './lookup.ts';
import { ContainerProcesses, type ExecRequest } from './processes.ts';
import { ContainerRemoval } from './removal.ts';
import { ContainerRootfs, type ContainerFiles } from './rootfs.ts';
import { ContainerRuntimes } from './runtimes.ts';
import type { ContainerStatus } from './state.ts';
import { ContainerStatusReader, type ContainerListing } from './status-reader.ts';
import { VolumeStore } from './volumes.ts';
import { WorkLocks } from './work-lock.ts';

export interface ContainerManagerOptions {
  root: string;
  db: Database;
  images: ImageStore;
  snapshotter: Snapshotter;
  /** Extracts an image's layers when they aren't yet; returns its chain IDs, bottom first. */
  ensureLayers: (imageId: Digest) => Promise<Digest[]>;
  /** Where docker's container events go (the store's events journal); none when absent. */
  events?: ContainerEventSink;
}

/** The store's events journal, as containers/ sees it (engine/ owns it). */
export interface ContainerEventSink {
  append(type: 'container', action: string, id: string, attributes: Record<string, string>): void;
  /** The journal file the supervisor appends `die` to when the container's process exits. */
  readonly file: string;
}

/**
 * A running container connected to a user network asks its DNS server first: the resolver
 * goes at the top of its resolv.conf, written in place (the file is bind-mounted by inode).
 */
function useResolver(c: Container, ip: string): void {
  const file = join(c.dir, 'resolv.conf');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch { /* none yet */ }
  if (new RegExp(`^nameserver\\s+${ip.replace(/\./g, '\\.')}\\s*$`, 'm').test(text)) return;
  writeFileSync(file, `nameserver ${ip}\n${text}`);
}

export class ContainerManager implements ContainerFiles {
  /** The volumes containers mount (also what the volume commands work on). */
  readonly volumes: VolumeStore;
  private readonly records: ContainerRecords;
  private readonly containers: ContainerLookup;
  private readonly states: ContainerStatusReader;
  private readonly rootfs: ContainerRootfs;
  private readonly creator: ContainerCreator;
  private readonly lifecycle: ContainerLifecycle;
  private readonly removal: ContainerRemoval;
  private readonly processes: ContainerProcesses;
  private readonly locks: WorkLocks;
  /** Networks, and containers' attachments to them (also what the network commands use). */
  readonly networking: ContainerNetworking;

  constructor(private readonly options: ContainerManagerOptions) {
    const { root, db, images, snapshotter, ensureLayers } = options;
    const home = join(root, 'containers');
    const records = new ContainerRecords(db);
    const volumes = new VolumeStore(db, root);
    const lookup = new ContainerLookup(db, records, home);
    const locks = new WorkLocks(db, records);
    const runtimes = new ContainerRuntimes(root);
    const networking = new ContainerNetworking(root, db, home);
    this.networking = networking;
    const states = new ContainerStatusReader(lookup, locks, runtimes, networking);
    const rootfs = new ContainerRootfs(snapshotter, states, locks, runtimes);
    const removal = new ContainerRemoval({ db, records, lookup, snapshotter, volumes, runtimes, states, locks, networking });
    this.records = records;
    this.locks = locks;
    this.volumes = volumes;
    this.containers = lookup;
    this.states = states;
    this.rootfs = rootfs;
    this.removal = removal;
    this.creator = new ContainerCreator({ db, records, home, images, snapshotter, volumes, runtimes, ensureLayers });
    this.lifecycle = new ContainerLifecycle({ db, records, lookup, volumes, runtimes, states, locks, rootfs, removal, networking });
    this.processes = new ContainerProcesses(runtimes, states);
  }

  // ---------- finding ----------

  /** @see ContainerLookup.find */
  find(ref: string): Container {
    return this.containers.find(ref);
  }

  /** @see ContainerLookup.lookup */
  lookup(ref: string): Container | undefined {
    return this.containers.lookup(ref);
  }

  /** @see ContainerLookup.refresh */
  refresh(c: Container): Container {
    return this.containers.refresh(c);
  }

  /** Every container, newest first. */
  all(): Container[] {
    return this.containers.all();
  }

  /** The IDs of the containers created from an image (for `rmi`'s conflicts). */
  idsUsingImage(imageId: Digest): string[] {
    return this.records.usingImage(imageId);
  }

  /** How many containers each image has (image ID → count; `system df`). */
  countsByImage(): Map<string, number> {
    return this.records.countsByImage();
  }

  /** @see ContainerLookup.rename */
  rename(c: Container, newName: string): void {
    const oldName = c.name;
    this.containers.rename(c, newName);
    this.journal('rename', { ...c, name: newName }, { oldName: `/${oldName}` });
  }

  // ---------- state ----------

  /** @see ContainerStatusReader.status */
  status(c: Container, mounted?: Set<string>): Promise<ContainerStatus> {
    return this.states.status(c, mounted);
  }

  /** @see ContainerStatusReader.statusSync */
  statusSync(c: Container): ContainerStatus {
    return this.states.statusSync(c);
  }

  /** @see ContainerStatusReader.networkLeftOver */
  networkLeftOver(c: Container): boolean {
    return this.states.networkLeftOver(c);
  }

  /** @see ContainerStatusReader.mountLeftOver */
  mountLeftOver(c: Container, mounted: Set<string>): boolean {
    return this.states.mountLeftOver(c, mounted);
  }

  /** @see ContainerStatusReader.list */
  list(options: { all?: boolean } = {}): Promise<ContainerListing[]> {
    return this.states.list(options);
  }

  /** @see ContainerStatusReader.waitStopped */
  waitStopped(c: Container, timeoutMs = Infinity, signal?: AbortSignal): Promise<ContainerStatus | undefined> {
    return this.states.waitStopped(c, timeoutMs, signal);
  }

  /** Bytes of the container's writable layer (docker's SizeRw). */
  sizeRw(c: Container): number {
    return writableLayerSize(this.options.snapshotter, c);
  }

  /** The image's bytes under the container (for SizeRootFs), from the layer records. */
  imageSize(c: Container): number {
    return imageLayersSize(this.options.images.layers, c);
  }

  /** docker's inspect object of the container (loaded on use: `ps` and `system df` never need it). */
  async inspect(c: Container, options: ContainerInspectOptions = {}): Promise<Record<string, unknown>> {
    const { graphDriverOf, inspectContainer } = await import('./inspect.ts');
    const status = await this.states.status(c);
    const rw = options.size ? this.sizeRw(c) : 0;
    return inspectContainer(c, {
      status, graphDriver: graphDriverOf(this.options.snapshotter, c),
      ...(options.size ? { sizes: { rw, rootFs: rw + this.imageSize(c) } } : {}),
    });
  }

  // ---------- networks ----------

  /**
   * `network connect`: records the network in the container's config and, when it runs,
   * sets it up in its namespace.
   * @throws failed-precondition for a container not on a bridge network, one connected
   *   already, or a failed setup (the record is then as it was).
   */
  async connect(c: Container, networkRef: string, options: { ip?: string; aliases?: string[] } = {}): Promise<void> {
    const network = this.networking.store.find(networkRef);
    if (network.driver !== 'bridge') throw failedPrecondition(`container cannot be disconnected from host network or connected to host network`);
    const net = c.stored.net;
    if (net === undefined) throw failedPrecondition(`container ${c.name} is not on a bridge network (--network none, host or container:): it can't be connected to one`);
    if (net.networks.some((n) => n.name === network.name)) throw failedPrecondition(`endpoint with name ${c.name} already exists in network ${network.name}`);
    if ((options.aliases?.length ?? 0) > 0 && network.name === 'bridge') throw invalidArgument('network-scoped aliases are only supported for user-defined networks');
    const want = { name: network.name, aliases: options.aliases ?? [], ...(options.ip ? { ip: options.ip } : {}) };
    if ((await this.states.status(c)).Running) {
      this.networking.connect(c, network, want);
      if (network.name !== 'bridge') useResolver(c, network.gateway);
    }
    this.saveNet(c, { ...net, networks: [...net.networks, want] });
  }

  /** `network disconnect`: the reverse of `connect`. @throws failed-precondition when it isn't connected. */
  async disconnect(c: Container, networkRef: string): Promise<void> {
    const network = this.networking.store.find(networkRef);
    const net = c.stored.net;
    if (net === undefined || !net.networks.some((n) => n.name === network.name)) throw failedPrecondition(`container ${c.id} is not connected to network ${network.name}`);
    if ((await this.states.status(c)).Running) this.networking.disconnect(c, network);
    this.saveNet(c, { ...net, networks: net.networks.filter((n) => n.name !== network.name) });
  }

  private saveNet(c: Container, net: ContainerNetworkSpec): void {
    const stored = { ...c.stored, net };
    inTransaction(this.options.db, () => this.records.setConfig(c.id, JSON.stringify(stored)));
    c.stored = stored;
  }

  // ---------- lifecycle ----------

  /** @see ContainerCreator.create */
  async create(request: CreateRequest): Promise<Container> {
    const c = await this.creator.create(request);
    this.journal('create', c);
    return c;
  }

  /** @see ContainerLifecycle.start */
  start(c: Container, request: StartRequest = {}): Promise<StartedContainer | undefined> {
    const events = this.options.events;
    // The supervisor appends `start` and `die`: a process that exits at once can't have its die first.
    return this.lifecycle.start(c, events ? { ...request, events: { journal: events.file, attributes: this.attributes(c) } } : request);
  }

  /** @see ContainerLifecycle.afterExit */
  async afterExit(c: Container): Promise<void> {
    if (await this.lifecycle.afterExit(c)) this.journal('destroy', c);
  }

  /** @see ContainerLifecycle.stop */
  async stop(c: Container, timeoutSec?: number): Promise<void> {
    if (await this.lifecycle.stop(c, timeoutSec, (signal) => this.journal('kill', c, { signal: String(signal) }))) this.journal('stop', c);
  }

  /** @see ContainerLifecycle.kill */
  async kill(c: Container, signal = 'KILL'): Promise<void> {
    await this.lifecycle.kill(c, signal, (number) => this.journal('kill', c, { signal: String(number) }));
  }

  /** @see ContainerLifecycle.pause */
  async pause(c: Container): Promise<void> {
    await this.lifecycle.pause(c);
    this.journal('pause', c);
  }

  /** @see ContainerLifecycle.unpause */
  async unpause(c: Container): Promise<void> {
    await this.lifecycle.unpause(c);
    this.journal('unpause', c);
  }

  /** @see ContainerRemoval.remove */
  async remove(c: Container, options: { force?: boolean; volumes?: boolean } = {}): Promise<string[]> {
    const removed = await this.removal.remove(c, options);
    this.journal('destroy', c);
    return removed;
  }

  /** @see ContainerRemoval.prune */
  async prune(filters: Map<string, string[]> = new Map()): Promise<{ deleted: string[]; reclaimed: number }> {
    const result = await this.removal.prune(filters);
    for (const id of result.deleted) this.options.events?.append('container', 'destroy', id, {});
    return result;
  }

  // ---------- processes ----------

  /**
   * @see ContainerProcesses.exec. docker's `exec_create: CMD` (unless the API's exec create
   * sent it already: `request.execId`), then `exec_start: CMD` and `exec_die` from the supervisor.
   */
  exec(c: Container, ref: string, request: ExecRequest): Promise<StartedContainer> {
    const { events } = this.options;
    if (events === undefined) return this.processes.exec(c, ref, request);
    const execId = request.execId ?? this.execCreated(c, request.cmd);
    return this.processes.exec(c, ref, request, {
      journal: events.file, attributes: { ...this.attributes(c), execID: execId },
      startAction: `exec_start: ${request.cmd.join(' ')}`, dieAction: 'exec_die',
    });
  }

  /** docker's `exec_create: CMD` event of a new exec; returns the exec's ID. */
  execCreated(c: Container, cmd: string[], execId = randomHexId()): string {
    this.journal(`exec_create: ${cmd.join(' ')}`, c, { execID: execId });
    return execId;
  }

  /** @see ContainerProcesses.top */
  top(c: Container, psArgs: string[]): Promise<{ titles: string[]; processes: string[][] }> {
    return this.processes.top(c, psArgs);
  }

  /** The json-file log's path. */
  logPath(c: Container): string {
    return this.processes.logPath(c);
  }

  // ---------- files ----------

  /** @see ContainerRootfs.withRootfs */
  withRootfs<T>(c: Container, fn: (rootfs: string, status: ContainerStatus) => Promise<T>): Promise<T> {
    return this.rootfs.withRootfs(c, fn);
  }

  /** @see ContainerRootfs.whilePaused */
  whilePaused<T>(c: Container, status: ContainerStatus, fn: () => Promise<T>): Promise<T> {
    return this.rootfs.whilePaused(c, status, fn);
  }

  /** @see ContainerRootfs.writableLayersHome */
  writableLayersHome(): string {
    return this.rootfs.writableLayersHome();
  }

  /** `diff`: the container's changes to its image (loaded on use: `ps` never needs it). */
  async changes(c: Container): Promise<Change[]> {
    const { snapshotter } = this.options;
    // The writable layer against the tree below it (the init layer on the image's layers).
    if (!snapshotter.stat(c.id)) return [];
    return snapshotter.changes(c.id);
  }

  /** `commit`: the container as a new image; returns its ID (loaded on use: it brings layer diff and apply). */
  async commit(c: Container, options: CommitOptions = {}): Promise<Digest> {
    const { commitContainer } = await import('./commit.ts');
    const { db, images, snapshotter } = this.options;
    const id = await commitContainer({ db, images, snapshotter, states: this.states, files: this.rootfs, locks: this.locks }, c, options);
    this.journal('commit', c);
    return id;
  }

  // ---------- events ----------

  /** docker's attributes of a container event: its image as named, its name, its labels. */
  private attributes(c: Container): Record<string, string> {
    return { ...c.stored.config.Labels, image: c.stored.imageRef, name: c.name };
  }

  /** One event in the journal; never fails the command (the change is done). */
  private journal(action: string, c: Container, extra: Record<string, string> = {}): void {
    this.options.events?.append('container', action, c.id, { ...this.attributes(c), ...extra });
  }
}
