/**
 * `inspect` of a container: docker's JSON (GET /containers/{id}/json), keys in its order,
 * from the record, its state and its layers. Fields strata has no use for (networks,
 * restart policies, blkio weights…) are docker's defaults, so templates written for
 * docker's output find every field they expect.
 */
import { join } from 'node:path';
import type { Snapshotter } from '../snapshots/index.ts';
import { rootfsDir, type Container } from './container.ts';
import type { ContainerStatus } from './state.ts';
import { networkSettings } from './network-view.ts';
import { goMap, withGoMaps } from '../oci/index.ts';

/** The fields of a container's Config that are maps in docker's types. */
const CONFIG_MAPS = ['ExposedPorts', 'Volumes', 'Labels'];

export interface ContainerInspectOptions {
  /** `--size`: SizeRw and SizeRootFs. */
  size?: boolean;
}

/** docker's GraphDriver of a container. */
export interface GraphDriver {
  Data: Record<string, string> | null;
  Name: string;
}

/** What an inspect object is made of besides the record. */
export interface ContainerInspectInput {
  status: ContainerStatus;
  graphDriver: GraphDriver;
  /** With `--size`: SizeRw and SizeRootFs. */
  sizes?: { rw: number; rootFs: number };
}

/** Go marshals a map with its keys sorted. */
function sortedPortBindings(b: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(b).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function hostConfigOf(c: Container): Record<string, unknown> {
  const run = c.stored.run;
  const h = c.stored.host;
  const privileged = run.privileged === true;
  return {
    Binds: h.Binds,
    ContainerIDFile: '',
    LogConfig: { Type: 'json-file', Config: {} },
    NetworkMode: h.NetworkMode,
    PortBindings: sortedPortBindings(h.PortBindings ?? {}),
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: h.AutoRemove,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: h.ConsoleSize,
    CapAdd: run.capAdd && run.capAdd.length > 0 ? run.capAdd : null,
    CapDrop: run.capDrop && run.capDrop.length > 0 ? run.capDrop : null,
    CgroupnsMode: 'host',
    Dns: run.dns ?? [],
    DnsOptions: run.dnsOptions ?? [],
    DnsSearch: run.dnsSearch ?? [],
    ExtraHosts: run.extraHosts && run.extraHosts.length > 0 ? run.extraHosts.map((e) => `${e.name}:${e.ip}`) : null,
    GroupAdd: run.groupAdd && run.groupAdd.length > 0 ? run.groupAdd : null,
    IpcMode: 'private',
    Cgroup: '',
    Links: null,
    OomScoreAdj: run.oomScoreAdj ?? 0,
    PidMode: '',
    Privileged: privileged,
    PublishAllPorts: h.PublishAllPorts === true,
    ReadonlyRootfs: run.readOnly === true,
    SecurityOpt: h.SecurityOpt,
    ...(h.Tmpfs ? { Tmpfs: goMap(h.Tmpfs) } : {}),
    UTSMode: '',
    UsernsMode: '',
    ShmSize: run.shmSize ?? 67108864,
    ...(run.sysctls && Object.keys(run.sysctls).length > 0 ? { Sysctls: goMap(run.sysctls) } : {}),
    Runtime: h.Runtime,
    Isolation: '',
    CpuShares: run.cpuShares ?? 0,
    Memory: run.memory ?? 0,
    NanoCpus: run.nanoCpus ?? 0,
    CgroupParent: run.cgroupParent ?? '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: run.cpuPeriod ?? 0,
    CpuQuota: run.cpuQuota ?? 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: run.cpusetCpus ?? '',
    CpusetMems: run.cpusetMems ?? '',
    Devices: [],
    DeviceCgroupRules: run.deviceCgroupRules && run.deviceCgroupRules.length > 0 ? run.deviceCgroupRules : null,
    DeviceRequests: null,
    MemoryReservation: run.memoryReservation ?? 0,
    MemorySwap: run.memorySwap ?? 0,
    MemorySwappiness: null,
    OomKillDisable: run.oomKillDisable ?? false,
    PidsLimit: run.pidsLimit ?? null,
    Ulimits: run.ulimits?.map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft })) ?? [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    ...(h.Mounts && h.Mounts.length > 0 ? { Mounts: h.Mounts } : {}),
    ...(run.init ? { Init: true } : {}),
    MaskedPaths: privileged ? null : [
      '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
      '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
    ],
    ReadonlyPaths: privileged ? null : ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
  };
}

/** The container's layers as docker's GraphDriver shows them (overlay: lower, merged, upper and work directories). */
export function graphDriverOf(s: Snapshotter, c: Container): GraphDriver {
  return { Data: s.graphDriverData(c.id, rootfsDir(c)), Name: s.driver };
}

/** The inspect object for a container. */
export function inspectContainer(c: Container, input: ContainerInspectInput): Record<string, unknown> {
  const { status } = input;
  const dir = c.dir;
  const out: Record<string, unknown> = {
    Id: c.id,
    Created: c.created,
    Path: c.stored.path,
    Args: c.stored.args,
    State: {
      Status: status.Status,
      Running: status.Running,
      Paused: status.Paused,
      Restarting: status.Restarting,
      OOMKilled: status.OOMKilled,
      Dead: status.Dead,
      Pid: status.Pid,
      ExitCode: status.ExitCode,
      Error: status.Error,
      StartedAt: status.StartedAt,
      FinishedAt: status.FinishedAt,
    },
    Image: c.imageId,
    ResolvConfPath: join(dir, 'resolv.conf'),
    HostnamePath: join(dir, 'hostname'),
    HostsPath: join(dir, 'hosts'),
    LogPath: join(dir, `${c.id}-json.log`),
    Name: `/${c.name}`,
    RestartCount: 0,
    Driver: c.stored.driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: hostConfigOf(c),
    GraphDriver: input.graphDriver,
  };
  if (input.sizes) {
    out['SizeRw'] = input.sizes.rw;
    out['SizeRootFs'] = input.sizes.rootFs;
  }
  out['Mounts'] = c.stored.mounts.map((m) => ({
    Type: m.Type,
    ...(m.Name !== undefined ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Driver !== undefined ? { Driver: m.Driver } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
  out['Config'] = withGoMaps(c.stored.config, CONFIG_MAPS);
  out['NetworkSettings'] = networkSettings(c, status.Running);
  return out;
}
