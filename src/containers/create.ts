/**
 * `create`: checks the options the way the start will, plans the mounts (mount-plan.ts),
 * makes the volumes the plan asks for, writes the init layer under a temporary snapshot
 * key (swept if we die), then one transaction commits it, prepares the writable layer and
 * inserts the rows: a crash leaves either no container or a whole one, and a failure
 * removes what was made. Until its row protects them, the container's image config and
 * layers are held by a lease, taken where the image is found still there, so an rmi or
 * prune meanwhile leaves them; the row goes in only if the image's record is still there
 * too (else `No such image`, as when the removal came first).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { internal, notFound } from '../errdefs/index.ts';
import { inTransaction, LeaseRecords, type ContainerRecords, type ContainerRow, type Database } from '../metadata/index.ts';
import { checkImageDepth, type ImageStore } from '../images/index.ts';
import { chainIds, nowRfc3339Nano, type Digest, type ImageConfig } from '../oci/index.ts';
// keys.ts, not the index: the index brings layer apply and the tar codec, which ps never needs.
import { temporaryKey } from '../snapshots/keys.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import { failpoint, randomHexId } from '../internal/index.ts';
import {
  buildSpec, checkDuplicateTargets, parseSignal, toRuntimeMount, type ImageRunConfig, type MountRequest, type RunOptions,
} from '../runtime/index.ts';
import { publishAll, type ContainerNetworkSpec } from '../network/index.ts';
import { toContainer, type Container } from './container.ts';
import { buildStoredContainer, type HostSettings, type MountPoint } from './container-config.ts';
import { writeInitLayer } from './init-layer.ts';
import { planMounts, type MountPlan } from './mount-plan.ts';
import { nameConflict, uniqueName } from './names.ts';
import type { ContainerRuntimes } from './runtimes.ts';
import { traceMark } from './trace.ts';
import type { VolumeStore } from './volumes.ts';

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
  /** The bridge networks it joins, with its published ports (absent: none, host). */
  net?: ContainerNetworkSpec;
  /** `-P`: the image's EXPOSEd ports too, to ephemeral host ports. */
  publishAll?: boolean;
  /** `--network container:ID`: that container's ID. */
  netContainer?: string;
  /** Config.ExposedPorts of an API request (`80/tcp`), added to the image's. */
  exposedPorts?: string[];
}

export interface ContainerCreatorOptions {
  db: Database;
  records: ContainerRecords;
  /** `<root>/containers`. */
  home: string;
  images: ImageStore;
  snapshotter: Snapshotter;
  volumes: VolumeStore;
  runtimes: ContainerRuntimes;
  /** Extracts an image's layers when they aren't yet; returns its chain IDs, bottom first. */
  ensureLayers: (imageId: Digest) => Promise<Digest[]>;
}

/**
 * The plan's mounts made real, in order: a bind's source must exist, a volume the plan
 * asks for is made (its directory; its record comes with the container's). On failure the
 * volume directories made here are removed.
 */
function resolveMounts(plan: MountPlan, volumes: VolumeStore): { mounts: MountPoint[]; prepared: Array<ReturnType<VolumeStore['prepare']>> } {
  const prepared: Array<ReturnType<VolumeStore['prepare']>> = [];
  try {
    const mounts = plan.mounts.map((m): MountPoint => {
      if (m.Type === 'bind') {
        if (!existsSync(m.Source)) {
          throw notFound(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`, {
            hint: 'create the directory first; strata does not create missing bind-mount sources',
          });
        }
        return m;
      }
      if (m.Type !== 'volume') return m;
      const wanted = plan.newVolumes.get(m.Destination);
      let name = m.Name as string;
      if (wanted !== undefined) {
        const p = volumes.prepare(wanted);
        prepared.push(p);
        name = p.name;
      }
      return { ...m, Name: name, Source: volumes.dataDir(name) };
    });
    return { mounts, prepared };
  } catch (err) {
    for (const p of prepared) volumes.removeDir(p.name);
    throw err;
  }
}

export class ContainerCreator {
  constructor(private readonly options: ContainerCreatorOptions) {}

  /**
   * Creates a container (see the module comment). Nothing is left behind when it fails.
   * @throws invalid-argument (bad name, options, mounts, `no command specified`),
   *   already-exists (name taken), not-found (a bind source that doesn't exist).
   */
  async create(request: CreateRequest): Promise<Container> {
    traceMark('create: begin');
    const { db, images } = this.options;
    const leases = new LeaseRecords(db);
    const { imageConfig, leaseId } = inTransaction(db, () => {
      if (images.get(request.imageId) === undefined) throw notFound(`No such image: ${request.imageRef}`);
      const imageConfig = images.config(request.imageId);
      const leaseId = leases.create();
      leases.add(leaseId, 'blob', request.imageId);
      const top = chainIds(imageConfig.rootfs.diff_ids).at(-1);
      if (top !== undefined) leases.add(leaseId, 'layer', top);
      return { imageConfig, leaseId };
    });
    let released = false;
    try {
      return await this.createLeased(request, imageConfig, () => {
        leases.release(leaseId);
        released = true;
      });
    } finally {
      if (!released) inTransaction(db, () => leases.release(leaseId));
    }
  }

  /** `create` once the image is leased; `release` drops the lease in the transaction that records the container. */
  private async createLeased(request: CreateRequest, imageConfig: ImageConfig, release: () => void): Promise<Container> {
    const { db, records, snapshotter, volumes, runtimes } = this.options;
    // Only an image stored by an earlier strata can be this deep: say why before stacking fails.
    checkImageDepth(imageConfig.rootfs.diff_ids.length, `image ${request.imageRef} has`);
    const image: ImageRunConfig = { ...(imageConfig.config ?? {}) } as ImageRunConfig;
    if (request.exposedPorts !== undefined) {
      image.ExposedPorts = { ...(image.ExposedPorts ?? {}), ...Object.fromEntries(request.exposedPorts.map((p) => [p, {}])) };
    }
    const id = randomHexId();
    const isTaken = (n: string): boolean => records.byName(n) !== undefined;
    let name = uniqueName(request.name, isTaken);
    const taken = records.byName(name);
    if (taken) throw nameConflict(name, taken.id);
    if (request.name === undefined) failpoint(`create: generated name ${name}`);

    // Check the options the way the start will, before anything is written.
    const probe = buildStoredContainer({
      id, imageRef: request.imageRef, image, run: request.run, mounts: [], host: request.host, driver: snapshotter.driver,
      ...(request.labels ? { labels: request.labels } : {}),
      ...(request.stopSignal !== undefined ? { stopSignal: request.stopSignal } : {}),
      ...(request.stopTimeout !== undefined ? { stopTimeout: request.stopTimeout } : {}),
    });
    if (probe.config.StopSignal) parseSignal(probe.config.StopSignal);
    const runtimeName = request.host.Runtime || 'runc';
    runtimes.launcher(runtimeName);
    checkDuplicateTargets(request.mounts);
    buildSpec({
      rootfs: '/nonexistent', image, options: { ...request.run, user: '0', id, mounts: request.mounts.map((m) => toRuntimeMount(m, '/nonexistent')) },
      userDb: {}, etcFiles: { hosts: '/h', hostname: '/h', resolvConf: '/r' }, host: runtimes.host,
    });

    traceMark('create: options checked');
    const chains = await this.options.ensureLayers(request.imageId);
    const top = chains.at(-1);

    // Mounts: volumes get directories now (recorded in the transaction below).
    const named = request.mounts.flatMap((m) => (m.type === 'volume' && m.name !== undefined ? [m.name] : []));
    const plan = planMounts({
      requested: request.mounts, imageVolumes: image.Volumes,
      existingVolumes: new Set(named.filter((n) => volumes.records.get(n) !== undefined)),
    });
    const { mounts, prepared } = resolveMounts(plan, volumes);
    traceMark('create: mounts planned');

    let net = request.net;
    if (net !== undefined && request.publishAll) {
      const bindings = structuredClone(net.portBindings);
      publishAll(Object.keys(image.ExposedPorts ?? {}), bindings);
      net = { ...net, portBindings: bindings };
    }
    const stored = buildStoredContainer({
      id, imageRef: request.imageRef, image, run: { ...request.run, tty: request.run.tty === true }, mounts,
      ...(net ? { net } : {}),
      ...(request.netContainer ? { netContainer: request.netContainer } : {}),
      host: { ...request.host, Runtime: runtimeName }, driver: snapshotter.driver, copyPending: plan.copyPending,
      ...(request.labels ? { labels: request.labels } : {}),
      ...(request.stopSignal !== undefined ? { stopSignal: request.stopSignal } : {}),
      ...(request.stopTimeout !== undefined ? { stopTimeout: request.stopTimeout } : {}),
      ...(request.openStdin ? { openStdin: true } : {}),
      ...(request.attach ? { attach: true } : {}),
    });
    const dir = join(this.options.home, id);
    const initKey = temporaryKey('init');
    let created = false;
    try {
      snapshotter.prepare(initKey, top);
      const initRow = snapshotter.stat(initKey);
      if (!initRow) throw internal(`snapshot ${initKey} vanished`);
      writeInitLayer(snapshotter.fsDir(initRow));
      const row: ContainerRow = {
        id, name, imageId: request.imageId, layerChain: top ?? '', created: nowRfc3339Nano(), config: JSON.stringify(stored),
        lockPid: 0, lockStart: 0, lockOp: '',
      };
      inTransaction(db, () => {
        // An rmi or prune that came after the lease removed the record (the lease kept its
        // files): the container would run an image the store no longer lists.
        if (this.options.images.get(request.imageId) === undefined) throw notFound(`No such image: ${request.imageRef}`);
        const other = records.byName(name);
        if (other && request.name !== undefined) throw nameConflict(name, other.id);
        // A generated name another create took meanwhile: another one, chosen under the write lock.
        if (other) row.name = name = uniqueName(undefined, isTaken);
        snapshotter.commit(`${id}-init`, initKey);
        snapshotter.prepare(id, `${id}-init`);
        for (const p of prepared) volumes.record(p);
        for (const m of mounts) {
          // Removed (by `volume rm` or a prune) since the mounts were planned: made again, as
          // `-v NAME:…` makes a volume that isn't there.
          if (m.Type === 'volume' && m.Name !== undefined && volumes.records.get(m.Name) === undefined) volumes.record(volumes.prepare({ name: m.Name }));
        }
        records.insert(row);
        for (const m of mounts) if (m.Type === 'volume' && m.Name !== undefined) volumes.records.attach({ containerId: id, destination: m.Destination, volume: m.Name });
        // The row keeps the image's config and layers from here on.
        release();
      });
      created = true;
      // After the record: a crash before leaves no directory that nothing names (a record
      // without its directory is a container that never started, which start makes it for).
      mkdirSync(dir, { recursive: true, mode: 0o710 });
      traceMark('create: init layer, writable layer and record committed');
      return toContainer(row, this.options.home);
    } finally {
      if (!created) {
        for (const key of [id, `${id}-init`, initKey]) {
          try {
            snapshotter.remove(key);
          } catch { /* not there */ }
        }
        rmSync(dir, { recursive: true, force: true });
        for (const p of prepared) if (!volumes.records.get(p.name)) volumes.removeDir(p.name);
      }
    }
  }
}
