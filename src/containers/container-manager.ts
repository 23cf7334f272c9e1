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
 * Lifecycle and crash safety:
 *   create  the init layer is written under a temporary snapshot key (swept if we die),
 *           then one transaction commits it, prepares the writable layer and inserts the
 *           rows: a crash leaves either no container or a whole one.
 *   start   takes the record's work lock ('start'), mounts rootfs, writes the bundle and
 *           starts the supervisor; the lock is dropped once the supervisor owns the
 *           container. A crash in between leaves a lock whose process is dead: the next
 *           command that looks at the container unmounts its rootfs and drops the lock.
 *   exit    the supervisor records it; whoever is around unmounts rootfs: the foreground
 *           CLI, the detached supervisor's exit hook (umount, or `rm` for `--rm`), or, after
 *           a crash, the next command that reads the container's state.
 *   rm      marks the record ('rm' lock), stops what runs, unmounts, removes the snapshots,
 *           then deletes the rows and files. A crash part-way leaves the record marked:
 *           `ps -a` shows it `Dead` and `rm` finishes the job.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { alreadyExists, failedPrecondition, internal, invalidArgument, isStrataError, notFound, type StrataError } from '../errdefs/index.ts';
import type { ContentStore } from '../content/index.ts';
import { inTransaction, ContainerRecords, type ContainerRow, type Database } from '../metadata/index.ts';
import { checkImageDepth, type ImageStore } from '../images/index.ts';
import { matchesLabelFilters, parseImageConfigBytes, nowRfc3339Nano, type Digest } from '../oci/index.ts';
// keys.ts, not the index: the index brings layer apply and the tar codec, which ps never needs.
import { temporaryKey } from '../snapshots/keys.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import { isMountPoint, mountAll, mountPoints, unmountAll } from '../mount/index.ts';
import { childProcess, randomHexId } from '../internal/index.ts';
import {
  buildSpec, checkDuplicateTargets, containerFiles, createBundle, ensureShim, execInContainer, execProcess, findExecutable, oomCounterFile,
  OciRuntime, parseSignal, probeHost, processStartTime, readBundleSpec, resolveInRootfs, startContainer, toRuntimeMount,
  type ExecOptions, type HostInfo, type ImageRunConfig, type MountRequest, type ReconciledState, type RunOptions, type RuntimeMount,
  type StartContainerOptions, type StartedContainer,
} from '../runtime/index.ts';
import { buildStoredContainer, parseStoredContainer, type HostSettings, type MountPoint, type StoredContainer } from './container-config.ts';
import { writeInitLayer } from './init-layer.ts';
import { generateName, validateName } from './names.ts';
import { observe, observeSync, toStatus, type ContainerStatus } from './state.ts';
import { treeSize } from './tree-size.ts';
import { traceMark } from './trace.ts';
import { VolumeStore } from './volumes.ts';

export interface ContainerManagerOptions {
  root: string;
  db: Database;
  images: ImageStore;
  content: ContentStore;
  snapshotter: Snapshotter;
  /** Extracts an image's layers when they aren't yet; returns its chain IDs, bottom first. */
  ensureLayers: (imageId: Digest) => Promise<Digest[]>;
}

/** A container record, parsed. */
export interface Container {
  id: string;
  name: string;
  imageId: Digest;
  /** The image's top chain ID, '' without layers. */
  layerChain: string;
  created: string;
  stored: StoredContainer;
  /** `<root>/containers/<id>`. */
  dir: string;
  row: ContainerRow;
}

export interface CreateRequest {
  /** The image as the user named it (`Config.Image`). */
  imageRef: string;
  imageId: Digest;
  name?: string;
  run: Omit<RunOptions, 'id' | 'mounts'>;
  /** `-v`, `--mount`, `--tmpfs`, parsed. */
  mounts: MountRequest[];
  labels?: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
  openStdin?: boolean;
  attach?: boolean;
  host: HostSettings;
}

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
}

/** What a listing shows of a container. */
export interface ContainerListing {
  container: Container;
  status: ContainerStatus;
}

const LOCK_WAIT_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function selfStart(): number {
  return processStartTime(process.pid) ?? 0;
}

export class ContainerManager {
  readonly records: ContainerRecords;
  readonly volumes: VolumeStore;
  readonly home: string;
  private readonly runtimes = new Map<string, OciRuntime>();
  private hostInfo: HostInfo | undefined;

  constructor(private readonly options: ContainerManagerOptions) {
    this.records = new ContainerRecords(options.db);
    this.volumes = new VolumeStore(options.db, options.root);
    this.home = join(options.root, 'containers');
  }

  get snapshotter(): Snapshotter {
    return this.options.snapshotter;
  }

  get host(): HostInfo {
    this.hostInfo ??= probeHost();
    return this.hostInfo;
  }

  /** The OCI runtime a container runs with (its own state root per runtime name). */
  runtimeFor(name = 'runc'): OciRuntime {
    let rt = this.runtimes.get(name);
    if (rt === undefined) {
      rt = OciRuntime.locate({ root: join(this.options.root, 'runtime', name), runtime: name });
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  private shim(): string {
    return ensureShim(join(this.options.root, 'runtime'));
  }

  private toContainer(row: ContainerRow): Container {
    return {
      id: row.id, name: row.name, imageId: row.imageId as Digest, layerChain: row.layerChain, created: row.created,
      stored: parseStoredContainer(row.config), dir: join(this.home, row.id), row,
    };
  }

  /**
   * Finds a container by full ID, name (with or without '/'), or unique ID prefix, in
   * docker's order.
   * @throws not-found `No such container: x`; invalid-argument for an ambiguous prefix.
   */
  find(ref: string): Container {
    const found = this.lookup(ref);
    if (found === undefined) throw notFound(`No such container: ${ref}`);
    return found;
  }

  lookup(ref: string): Container | undefined {
    if (/^[0-9a-f]{64}$/.test(ref)) {
      const row = this.records.get(ref);
      if (row) return this.toContainer(row);
    }
    const byName = this.records.byName(ref.startsWith('/') ? ref.slice(1) : ref);
    if (byName) return this.toContainer(byName);
    if (/^[0-9a-f]+$/.test(ref)) {
      const ids = this.records.idsWithPrefix(ref);
      if (ids.length > 1) throw invalidArgument(`Multiple IDs found with provided prefix: ${ref}`);
      const row = ids[0] === undefined ? undefined : this.records.get(ids[0]);
      if (row) return this.toContainer(row);
    }
    return undefined;
  }

  /** Re-reads a container's record (after a rename, or to see another process's lock). */
  refresh(c: Container): Container {
    const row = this.records.get(c.id);
    if (!row) throw notFound(`No such container: ${c.id}`);
    return this.toContainer(row);
  }

  all(): Container[] {
    return this.records.all().map((r) => this.toContainer(r));
  }

  rootfsDir(c: Pick<Container, 'dir'>): string {
    return join(c.dir, 'rootfs');
  }

  cgroupsPath(c: Container): string {
    return `${c.stored.run.cgroupParent ?? '/strata'}/${c.id}`;
  }

  // ---------- work locks ----------

  private lockLive(row: ContainerRow): boolean {
    return row.lockPid !== 0 && processStartTime(row.lockPid) === row.lockStart;
  }

  /**
   * Takes the container's work lock for `op`, waiting a little for another process's.
   * @throws failed-precondition when another live process keeps it.
   */
  private async lock(c: Container, op: string): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      const taken = inTransaction(this.options.db, () => {
        const row = this.records.get(c.id);
        if (!row) throw notFound(`No such container: ${c.id}`);
        if (row.lockPid !== 0 && row.lockPid !== process.pid && this.lockLive(row)) {
          if (row.lockOp === 'rm') throw failedPrecondition(`removal of container ${c.id} is already in progress`);
          return false;
        }
        if (row.lockOp === 'rm' && op !== 'rm') throw failedPrecondition('Container is marked for removal and cannot be started');
        this.records.setLock(c.id, { pid: process.pid, start: selfStart(), op });
        return true;
      });
      if (taken) return;
      if (Date.now() > deadline) throw failedPrecondition(`container ${c.id} is busy: another strata command is working on it`);
      await sleep(50);
    }
  }

  private unlock(c: Container): void {
    inTransaction(this.options.db, () => {
      const row = this.records.get(c.id);
      if (row && row.lockPid === process.pid) this.records.setLock(c.id, { pid: 0, start: 0, op: '' });
    });
  }

  // ---------- state ----------

  /**
   * The container's state as docker reports it. Cleans up after crashes on the way: a
   * rootfs still mounted for a container that doesn't run (and that no live command
   * works on) is unmounted, a dead process's lock (other than an rm's) is dropped.
   */
  async status(c: Container, mounted?: Set<string>): Promise<ContainerStatus> {
    let rt: ReconciledState;
    if (!existsSync(c.dir)) {
      rt = { status: 'created', pid: 0, exitCode: 0, startedAt: '0001-01-01T00:00:00Z', finishedAt: '0001-01-01T00:00:00Z', oomKilled: false, error: '', shimPid: 0, shimStartTime: 0, supervised: false, paused: false };
    } else {
      rt = await observe(c.dir, c.id, this.runtimeFor(c.stored.host.Runtime), this.host, this.cgroupsPath(c));
    }
    const row = c.row;
    const live = this.lockLive(row);
    const running = rt.status === 'running' || rt.status === 'starting';
    if (row.lockPid !== 0 && !live && row.lockOp !== 'rm') {
      inTransaction(this.options.db, () => {
        const now = this.records.get(c.id);
        if (now && now.lockPid === row.lockPid && now.lockStart === row.lockStart) this.records.setLock(c.id, { pid: 0, start: 0, op: '' });
      });
      c.row = { ...row, lockPid: 0, lockStart: 0, lockOp: '' };
    }
    if (!running && !live) {
      const rootfs = this.rootfsDir(c);
      if (mounted === undefined ? isMountPoint(rootfs) : mounted.has(rootfs)) {
        try {
          unmountAll(rootfs);
        } catch {
          // busy (a shell cd'ed into it): the next look tries again
        }
      }
    }
    const removal = row.lockOp === 'rm' ? (live ? 'in-progress' : 'crashed') : 'none';
    return toStatus(rt, removal);
  }

  /**
   * The state without asking the runtime or cleaning up (see `observeSync`): for
   * synchronous callers such as `system df` and `rmi`'s check.
   */
  statusSync(c: Container): ContainerStatus {
    const rt = observeSync(c.dir, c.id, this.host, this.cgroupsPath(c));
    const removal = c.row.lockOp === 'rm' ? (this.lockLive(c.row) ? 'in-progress' : 'crashed') : 'none';
    return toStatus(rt, removal);
  }

  /** Every container (or only running ones) with its state, newest first. */
  async list(options: { all?: boolean } = {}): Promise<ContainerListing[]> {
    const mounted = new Set(mountPoints());
    const out: ContainerListing[] = [];
    for (const c of this.all()) {
      const status = await this.status(c, mounted);
      if (!options.all && !status.Running) continue;
      out.push({ container: c, status });
    }
    return out;
  }

  /** Bytes of the container's writable layer (docker's SizeRw). */
  sizeRw(c: Container): number {
    const row = this.snapshotter.stat(c.id);
    if (!row) return 0;
    try {
      return treeSize(this.snapshotter.fsDir(row));
    } catch {
      return 0;
    }
  }

  /** The image's bytes under the container (for SizeRootFs), from the layer records. */
  imageSize(c: Container): number {
    let total = 0;
    let chain: string | null = c.layerChain === '' ? null : c.layerChain;
    while (chain) {
      const layer = this.options.images.layers.get(chain);
      if (!layer) break;
      total += layer.size;
      chain = layer.parent;
    }
    return total;
  }

  // ---------- create ----------

  private uniqueName(requested: string | undefined): string {
    if (requested !== undefined) return validateName(requested);
    for (let attempt = 0; attempt < 10; attempt++) {
      const name = generateName(attempt);
      if (!this.records.byName(name)) return name;
    }
    return `${generateName(1)}${randomHexId().slice(0, 4)}`;
  }

  private nameConflict(name: string, id: string): StrataError {
    return alreadyExists(`Conflict. The container name "/${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
  }

  /**
   * Creates a container: resolves its mounts (creating named and anonymous volumes),
   * writes its init layer and records it with its writable layer in one transaction.
   * Nothing is left behind when it fails.
   * @throws invalid-argument (bad name, options, mounts, `no command specified`),
   *   already-exists (name taken), not-found (a bind source that doesn't exist).
   */
  async create(request: CreateRequest): Promise<Container> {
    traceMark('create: begin');
    const { images, snapshotter } = this.options;
    const imageConfig = images.config(request.imageId);
    // Only an image stored by an earlier strata can be this deep: say why before stacking fails.
    checkImageDepth(imageConfig.rootfs.diff_ids.length, `image ${request.imageRef} has`);
    const image: ImageRunConfig = { ...(imageConfig.config ?? {}) } as ImageRunConfig;
    const id = randomHexId();
    const name = this.uniqueName(request.name);
    const taken = this.records.byName(name);
    if (taken) throw this.nameConflict(name, taken.id);

    // Check the options the way the start will, before anything is written.
    const probe = buildStoredContainer({
      id, imageRef: request.imageRef, image, run: request.run, mounts: [], host: request.host, driver: snapshotter.driver,
      ...(request.labels ? { labels: request.labels } : {}),
      ...(request.stopSignal !== undefined ? { stopSignal: request.stopSignal } : {}),
      ...(request.stopTimeout !== undefined ? { stopTimeout: request.stopTimeout } : {}),
    });
    if (probe.config.StopSignal) parseSignal(probe.config.StopSignal);
    const runtimeName = request.host.Runtime || 'runc';
    this.runtimeFor(runtimeName);
    checkDuplicateTargets(request.mounts);
    buildSpec({
      rootfs: '/nonexistent', image, options: { ...request.run, user: '0', id, mounts: request.mounts.map((m) => toRuntimeMount(m, '/nonexistent')) },
      userDb: {}, etcFiles: { hosts: '/h', hostname: '/h', resolvConf: '/r' }, host: this.host,
    });

    traceMark('create: options checked');
    const chains = await this.options.ensureLayers(request.imageId);
    const top = chains.at(-1);

    // Mounts: volumes get directories now (recorded in the transaction below).
    const mounts: MountPoint[] = [];
    const prepared: Array<ReturnType<VolumeStore['prepare']>> = [];
    const newDirs: string[] = [];
    const copyPending: string[] = [];
    const targets = new Set(request.mounts.map((m) => m.target));
    const wanted: MountRequest[] = [...request.mounts];
    for (const dest of Object.keys(image.Volumes ?? {})) {
      const clean = dest.replace(/\/+$/, '') || '/';
      if (!targets.has(clean)) {
        wanted.push({ type: 'volume', target: clean, readOnly: false, noCopy: false, mode: '' });
        targets.add(clean);
      }
    }
    try {
      for (const m of wanted) {
        if (m.type === 'bind') {
          if (!existsSync(m.source)) {
            throw notFound(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`, {
              hint: 'create the directory first; strata does not create missing bind-mount sources',
            });
          }
          mounts.push({
            Type: 'bind', Source: m.source, Destination: m.target, Mode: m.mode, RW: !m.readOnly, Propagation: m.propagation,
            ...(m.nonRecursive ? { nonRecursive: true } : {}),
            ...(m.readOnlyNonRecursive ? { readOnlyNonRecursive: true } : {}),
            ...(m.readOnlyForceRecursive ? { readOnlyForceRecursive: true } : {}),
          });
        } else if (m.type === 'tmpfs') {
          mounts.push({ Type: 'tmpfs', Source: '', Destination: m.target, Mode: '', RW: !m.readOnly, Propagation: '', tmpfsData: m.data });
        } else {
          const existing = m.name === undefined ? undefined : this.volumes.records.get(m.name);
          let volumeName: string;
          if (existing) {
            volumeName = existing.name;
          } else {
            const p = this.volumes.prepare({
              ...(m.name !== undefined ? { name: m.name } : {}), ...(m.driver ? { driver: m.driver } : {}),
              ...(m.labels ? { labels: m.labels } : {}), ...(m.driverOptions ? { options: m.driverOptions } : {}),
            });
            prepared.push(p);
            newDirs.push(p.name);
            volumeName = p.name;
          }
          if (!m.noCopy) copyPending.push(m.target);
          mounts.push({
            Type: 'volume', Name: volumeName, Source: this.volumes.dataDir(volumeName), Destination: m.target, Driver: 'local',
            Mode: m.mode, RW: !m.readOnly, Propagation: '', ...(m.noCopy ? { noCopy: true } : {}), ...(m.subpath ? { subpath: m.subpath } : {}),
          });
        }
      }
    } catch (err) {
      for (const v of newDirs) this.volumes.removeDir(v);
      throw err;
    }

    const stored = buildStoredContainer({
      id, imageRef: request.imageRef, image, run: { ...request.run, tty: request.run.tty === true }, mounts,
      host: { ...request.host, Runtime: runtimeName }, driver: snapshotter.driver, copyPending,
      ...(request.labels ? { labels: request.labels } : {}),
      ...(request.stopSignal !== undefined ? { stopSignal: request.stopSignal } : {}),
      ...(request.stopTimeout !== undefined ? { stopTimeout: request.stopTimeout } : {}),
      ...(request.openStdin ? { openStdin: true } : {}),
      ...(request.attach ? { attach: true } : {}),
    });
    const dir = join(this.home, id);
    const initKey = temporaryKey('init');
    let created = false;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o710 });
      snapshotter.prepare(initKey, top);
      const initRow = snapshotter.stat(initKey);
      if (!initRow) throw internal(`snapshot ${initKey} vanished`);
      writeInitLayer(snapshotter.fsDir(initRow));
      const row: ContainerRow = {
        id, name, imageId: request.imageId, layerChain: top ?? '', created: nowRfc3339Nano(), config: JSON.stringify(stored),
        lockPid: 0, lockStart: 0, lockOp: '',
      };
      inTransaction(this.options.db, () => {
        const other = this.records.byName(name);
        if (other) throw this.nameConflict(name, other.id);
        snapshotter.commit(`${id}-init`, initKey);
        snapshotter.prepare(id, `${id}-init`);
        for (const p of prepared) this.volumes.record(p);
        this.records.insert(row);
        for (const m of mounts) if (m.Type === 'volume' && m.Name !== undefined) this.volumes.records.attach({ containerId: id, destination: m.Destination, volume: m.Name });
      });
      created = true;
      traceMark('create: init layer, writable layer and record committed');
      return this.toContainer(row);
    } finally {
      if (!created) {
        for (const key of [id, `${id}-init`, initKey]) {
          try {
            snapshotter.remove(key);
          } catch { /* not there */ }
        }
        rmSync(dir, { recursive: true, force: true });
        for (const v of newDirs) if (!this.volumes.records.get(v)) this.volumes.removeDir(v);
      }
    }
  }

  // ---------- start ----------

  /** Mounts the container's layers at its rootfs directory (idempotent). */
  private mountRootfs(c: Container): string {
    const rootfs = this.rootfsDir(c);
    mkdirSync(rootfs, { recursive: true, mode: 0o755 });
    if (!isMountPoint(rootfs)) mountAll(this.snapshotter.mounts(c.id), rootfs);
    return rootfs;
  }

  /** The runtime's view of the container's mounts, volumes made ready (and filled the first time). */
  private runtimeMounts(c: Container, rootfs: string): RuntimeMount[] {
    const out: RuntimeMount[] = [];
    const filled: string[] = [];
    for (const m of c.stored.mounts) {
      if (m.Type === 'bind') {
        out.push({
          type: 'bind', source: m.Source, destination: m.Destination, readOnly: !m.RW, propagation: (m.Propagation || 'rprivate') as 'rprivate',
          ...(m.nonRecursive ? { nonRecursive: true } : {}),
          ...(m.readOnlyNonRecursive ? { readOnlyNonRecursive: true } : {}),
          ...(m.readOnlyForceRecursive ? { readOnlyForceRecursive: true } : {}),
        });
      } else if (m.Type === 'tmpfs') {
        out.push({ type: 'tmpfs', destination: m.Destination, data: m.tmpfsData ?? '' });
      } else {
        const name = m.Name as string;
        const data = this.volumes.activate(name);
        if (c.stored.copyPending.includes(m.Destination)) {
          if (this.volumes.isEmpty(name)) copyImageContent(rootfs, m.Destination, data);
          filled.push(m.Destination);
        }
        let source = data;
        if (m.subpath) {
          source = resolveInRootfs(data, m.subpath);
          if (!existsSync(source)) throw invalidArgument(`cannot access path ${source}: no such file or directory (volume subpath ${m.subpath})`);
        }
        out.push({ type: 'bind', source, destination: m.Destination, readOnly: !m.RW, propagation: 'rprivate' });
      }
    }
    if (filled.length > 0) {
      const stored: StoredContainer = { ...c.stored, copyPending: c.stored.copyPending.filter((d) => !filled.includes(d)) };
      inTransaction(this.options.db, () => this.records.setConfig(c.id, JSON.stringify(stored)));
      c.stored = stored;
    }
    return out;
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
    const status = await this.status(c);
    if (status.Running) return undefined;
    if (status.removing) throw failedPrecondition('Container is marked for removal and cannot be started');
    await this.lock(c, 'start');
    let started: StartedContainer | undefined;
    try {
      await this.waitSupervisorGone(c);
      traceMark('start: state read, lock taken');
      const rootfs = this.mountRootfs(c);
      traceMark('start: rootfs mounted');
      const mounts = this.runtimeMounts(c, rootfs);
      const run = c.stored.run;
      const options: RunOptions = { ...run, id: c.id, mounts, tty: run.tty === true };
      if (request.consoleSize) options.consoleSize = request.consoleSize;
      const runtime = this.runtimeFor(c.stored.host.Runtime);
      const bundle = createBundle({ bundleDir: c.dir, rootfs, image: c.stored.image, options, host: this.host, runtime });
      traceMark('start: bundle written');
      const detach = request.attach !== true;
      // What the supervisor does after the exit: a detached container's cleanup; in the
      // foreground, the launcher's cleanup should the launcher be killed before it.
      let exitHook: string[] | undefined;
      if (c.stored.host.AutoRemove && request.removeCommand && request.removeCommand.length > 0) exitHook = request.removeCommand;
      else {
        const umount = findExecutable('umount');
        if (umount !== undefined) exitHook = [umount, rootfs];
      }
      traceMark('start: launching the supervisor');
      started = await startContainer({
        runtime, id: c.id, bundleDir: c.dir, containerDir: c.dir, shim: this.shim(), tty: options.tty === true,
        stdin: request.stdin === true || (detach && c.stored.config.OpenStdin), detach,
        oomFile: oomCounterFile(this.host, bundle.spec.linux.cgroupsPath as string),
        ...(request.stdio ? { stdio: request.stdio } : {}),
        ...(request.sigProxy !== undefined ? { sigProxy: request.sigProxy } : {}),
        ...(exitHook ? { exitHook } : {}),
      });
      traceMark('start: supervisor reports the container started');
      return started;
    } finally {
      this.unlock(c);
      if (started === undefined) {
        // Nothing runs: don't leave the layers mounted.
        try {
          unmountAll(this.rootfsDir(c));
        } catch { /* the next look retries */ }
      }
    }
  }

  /** After an attached container exited: unmount its layers, and remove it with `--rm`. */
  async afterExit(c: Container): Promise<void> {
    const fresh = this.lookup(c.id);
    if (fresh === undefined) return;
    const status = await this.status(fresh);
    if (status.Running) return;
    traceMark('exit: state read');
    if (fresh.stored.host.AutoRemove) await this.remove(fresh, { volumes: true, force: true });
    traceMark('exit: removed');
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

  /** The container's stop signal: `--stop-signal`, the image's STOPSIGNAL, else SIGTERM. */
  stopSignal(c: Container): string {
    return c.stored.config.StopSignal || 'SIGTERM';
  }

  /**
   * `stop`: the stop signal, then SIGKILL after `timeoutSec` (default `--stop-timeout`,
   * else 10; negative waits forever). A container that doesn't run is left as it is.
   */
  async stop(c: Container, timeoutSec?: number): Promise<void> {
    const status = await this.status(c);
    if (!status.Running) return;
    const runtime = this.runtimeFor(c.stored.host.Runtime);
    const timeout = timeoutSec ?? c.stored.config.StopTimeout ?? 10;
    if (timeout !== 0) {
      await this.signal(c, runtime, this.stopSignal(c), status.Paused);
      if (await this.waitStopped(c, timeout < 0 ? Infinity : timeout * 1000)) return;
    }
    await this.signal(c, runtime, 'SIGKILL', status.Paused);
    if (!(await this.waitStopped(c, 30_000))) throw internal(`container ${c.id} did not stop after SIGKILL`);
  }

  private async signal(c: Container, runtime: OciRuntime, sig: string, paused: boolean): Promise<void> {
    try {
      await runtime.kill(c.id, sig, { all: sig === 'SIGKILL' || sig === 'KILL' || sig === '9' });
    } catch (err) {
      // It exited meanwhile: that's what we wanted.
      if (!(isStrataError(err, 'not-found') || isStrataError(err, 'failed-precondition'))) throw err;
    }
    if (paused) {
      try {
        await runtime.resume(c.id);
      } catch { /* gone already */ }
    }
  }

  /**
   * `kill`: sends a signal (default SIGKILL) to the container's main process.
   * @throws failed-precondition `Container <id> is not running`; invalid-argument for a bad signal.
   */
  async kill(c: Container, signal = 'KILL'): Promise<void> {
    const sig = parseSignal(signal);
    const status = await this.status(c);
    if (!status.Running) throw failedPrecondition(`Container ${c.id} is not running`);
    await this.signal(c, this.runtimeFor(c.stored.host.Runtime), String(sig.number), status.Paused && sig.number === 9);
  }

  /** @throws failed-precondition `Container <id> is not running` / `is already paused`. */
  async pause(c: Container): Promise<void> {
    const status = await this.status(c);
    if (!status.Running) throw failedPrecondition(`Container ${c.id} is not running`);
    if (status.Paused) throw failedPrecondition(`Container ${c.id} is already paused`);
    await this.runtimeFor(c.stored.host.Runtime).pause(c.id);
  }

  /** @throws failed-precondition `Container <id> is not paused`. */
  async unpause(c: Container): Promise<void> {
    const status = await this.status(c);
    if (!status.Paused) throw failedPrecondition(`Container ${c.id} is not paused`);
    await this.runtimeFor(c.stored.host.Runtime).resume(c.id);
  }

  /**
   * `rename`.
   * @throws invalid-argument (bad or unchanged name), already-exists (taken).
   */
  rename(c: Container, newName: string): void {
    const name = validateName(newName);
    if (name === c.name) throw invalidArgument('Renaming a container with the same name as its current name');
    inTransaction(this.options.db, () => {
      const other = this.records.byName(name);
      if (other) throw alreadyExists(`Error when allocating new name: ${this.nameConflict(name, other.id).message}`);
      this.records.rename(c.id, name);
    });
  }

  /**
   * `rm`: a stopped container (a running one with `force`, killed first), its layers,
   * files and records, and with `volumes` its anonymous volumes no other container uses.
   * @returns the anonymous volumes removed.
   * @throws failed-precondition for a running container without `force`.
   */
  async remove(c: Container, options: { force?: boolean; volumes?: boolean } = {}): Promise<string[]> {
    let status = await this.status(c);
    if (status.Running && !options.force) {
      if (status.Paused) throw failedPrecondition(`You cannot remove a paused container ${c.id}. Unpause and then stop the container before attempting removal or force remove`);
      throw failedPrecondition(`You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`);
    }
    await this.lock(c, 'rm');
    traceMark('rm: marked for removal');
    const runtime = this.runtimeFor(c.stored.host.Runtime);
    if (status.Running) {
      await this.signal(c, runtime, 'SIGKILL', status.Paused);
      const stopped = await this.waitStopped(c, 30_000);
      if (!stopped) throw internal(`could not kill container ${c.id}`);
      status = stopped;
    }
    // A supervisor that records a clean exit deletes the runtime's state itself.
    if (status.supervised || status.Error !== '' || !existsSync(join(c.dir, 'state.json'))) await runtime.delete(c.id, { force: true });
    const rootfs = this.rootfsDir(c);
    unmountAll(rootfs);
    this.snapshotter.remove(c.id);
    traceMark('rm: writable layer removed');
    this.snapshotter.remove(`${c.id}-init`);
    const anonymous = inTransaction(this.options.db, () => {
      const vols = this.volumes.records.ofContainer(c.id);
      this.records.delete(c.id);
      const gone: string[] = [];
      if (!options.volumes) return gone;
      for (const v of vols) {
        const row = this.volumes.records.get(v.volume);
        if (!row || row.anonymous !== 1 || this.volumes.records.users(v.volume).length > 0) continue;
        this.volumes.records.delete(v.volume);
        gone.push(v.volume);
      }
      return gone;
    });
    traceMark('rm: records deleted');
    removeContainerDir(c.dir);
    for (const v of anonymous) this.volumes.removeDir(v);
    return anonymous;
  }

  /**
   * `container prune`: every container that doesn't run, filtered by `until` and
   * `label`/`label!`. Returns their IDs and the bytes their layers held.
   */
  async prune(filters: Map<string, string[]> = new Map()): Promise<{ deleted: string[]; reclaimed: number }> {
    for (const key of filters.keys()) if (!['until', 'label', 'label!'].includes(key)) throw invalidArgument(`Invalid filter '${key}'`);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const { container: c, status } of await this.list({ all: true })) {
      if (status.Running || status.Paused) continue;
      const until = filters.get('until') ?? [];
      if (until.length > 0 && !until.every((u) => Date.parse(c.created) < parseUntil(u))) continue;
      const labels = c.stored.config.Labels;
      if (!matchesLabelFilters(filters, labels)) continue;
      const size = this.sizeRw(c);
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

  /** Removes container directories without a record (a crash between mkdir and the insert, or during rm). */
  sweep(minAgeMs = 60_000): string[] {
    if (!existsSync(this.home)) return [];
    const removed: string[] = [];
    for (const name of readdirSync(this.home)) {
      if (this.records.get(name)) continue;
      const dir = join(this.home, name);
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

  // ---------- exec, top, logs ----------

  /**
   * Runs one more process in a running container.
   * @throws failed-precondition when it doesn't run or is paused; ContainerStartError
   *   (exit 126) when the process can't start.
   */
  async exec(c: Container, ref: string, request: ExecOptions & { detach?: boolean; stdin?: boolean; stdio?: StartContainerOptions['stdio'] }): Promise<StartedContainer> {
    const status = await this.status(c);
    if (!status.Running) throw failedPrecondition(`Container ${c.id} is not running`);
    if (status.Paused) throw failedPrecondition(`Container ${ref} is paused, unpause the container before exec`);
    const spec = readBundleSpec(c.dir);
    const processSpec = execProcess(spec, this.rootfsDir(c), { ...request, availableCapabilities: this.host.capabilities });
    return execInContainer({
      runtime: this.runtimeFor(c.stored.host.Runtime), id: c.id, containerDir: c.dir, shim: this.shim(), process: processSpec,
      ...(request.stdin ? { stdin: true } : {}), ...(request.detach ? { detach: true } : {}), ...(request.stdio ? { stdio: request.stdio } : {}),
    });
  }

  /** `top`: ps rows of the container's processes. @throws failed-precondition when it doesn't run. */
  async top(c: Container, psArgs: string[]): Promise<{ titles: string[]; processes: string[][] }> {
    const status = await this.status(c);
    if (!status.Running) throw failedPrecondition(`Container ${c.id} is not running`);
    return this.runtimeFor(c.stored.host.Runtime).top(c.id, psArgs.length > 0 ? psArgs : ['-ef']);
  }

  /** The json-file log's path. */
  logPath(c: Container): string {
    return containerFiles(c.dir, c.id).log;
  }

  // ---------- files: mount while working on them ----------

  /**
   * Runs `fn` with the container's merged tree mounted: the running container's own
   * mount, else a mount held under the work lock for the duration.
   */
  async withRootfs<T>(c: Container, fn: (rootfs: string, status: ContainerStatus) => Promise<T>): Promise<T> {
    const status = await this.status(c);
    if (status.Running) return fn(this.rootfsDir(c), status);
    await this.lock(c, 'mount');
    let mountedHere = false;
    const rootfs = this.rootfsDir(c);
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
      this.unlock(c);
    }
  }

  /** Freezes a running container for the duration of `fn` (docker's `commit --pause`, and cp's guard against path swaps). */
  async whilePaused<T>(c: Container, status: ContainerStatus, fn: () => Promise<T>): Promise<T> {
    if (!status.Running || status.Paused) return fn();
    const runtime = this.runtimeFor(c.stored.host.Runtime);
    await runtime.pause(c.id);
    try {
      return await fn();
    } finally {
      try {
        await runtime.resume(c.id);
      } catch { /* it exited meanwhile */ }
    }
  }

  /** The image config the container was created from (kept in the content store while the container exists). */
  imageConfig(c: Container): ReturnType<typeof parseImageConfigBytes> {
    return parseImageConfigBytes(this.options.content.readBytes(c.imageId), `image config ${c.imageId}`);
  }

  get content(): ContentStore {
    return this.options.content;
  }

  get images(): ImageStore {
    return this.options.images;
  }

  get db(): Database {
    return this.options.db;
  }
}

/**
 * Deletes a container's directory. Its supervisor may still be finishing (deleting the
 * runtime's state, which writes the runtime log there): the directory is first moved
 * aside, so nothing new lands in it, then removed.
 */
function removeContainerDir(dir: string): void {
  const trash = join(dirname(dir), `.removing-${basename(dir)}-${process.pid}`);
  let target = dir;
  try {
    renameSync(dir, trash);
    target = trash;
  } catch { /* gone already, or not movable: remove in place */ }
  rmSync(target, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
}

function readStateFile(c: Container): { shimPid: number; shimStartTime: number } | undefined {
  try {
    return JSON.parse(readFileSync(join(c.dir, 'state.json'), 'utf8')) as { shimPid: number; shimStartTime: number };
  } catch {
    return undefined;
  }
}

/**
 * Fills a new volume from the image's content at its mount point, as docker does: the
 * directory's files (owners, modes, links kept) and its own owner and mode.
 */
function copyImageContent(rootfs: string, destination: string, data: string): void {
  const source = resolveInRootfs(rootfs, destination);
  let st;
  try {
    st = lstatSync(source);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  const r = childProcess().spawnSync('cp', ['-a', '--', `${source}/.`, `${data}/`], { encoding: 'utf8' });
  if (r.status !== 0) throw internal(`fill volume at ${destination} from the image: ${(r.stderr || r.error?.message || '').trim()}`);
  chownSync(data, st.uid, st.gid);
  chmodSync(data, st.mode & 0o7777);
}

function parseUntil(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const dur = /^(\d+)(s|m|h)$/.exec(value);
  if (dur) return Date.now() - Number(dur[1]) * ({ s: 1000, m: 60_000, h: 3_600_000 }[dur[2] as 's' | 'm' | 'h']);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${value}'`);
  return t;
}

