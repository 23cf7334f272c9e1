/**
 * `POST /containers/create`'s body (docker's Config, HostConfig and NetworkingConfig) into
 * the same CreateRequest the CLI's `create` and `run` build, so one implementation below
 * (containers/) makes the container. A field strata does not do is refused with a 400
 * naming it when it is set to anything but its empty value: a setting that would change
 * how the container runs is never ignored.
 */
import { invalidArgument, notFound } from '../errdefs/index.ts';
import type { ContainerManager, CreateRequest, HostSettings } from '../containers/index.ts';
import type { ImageStore } from '../images/index.ts';
import {
  parseMountFlag, parseSignal, parseTmpfsFlag, parseVolumeFlag, ulimitsByName, type MountRequest, type RunOptions, type Ulimit,
} from '../runtime/index.ts';
import { apiNetworking } from './container-network.ts';

type Json = Record<string, unknown>;

/**
 * docker's Config fields strata does not do. Other names that aren't docker's are ignored,
 * as dockerd's JSON decoder ignores them (dockerode sends `name` in the body too).
 */
const UNSUPPORTED_CONFIG = ['Healthcheck', 'MacAddress'];

const HOST_FIELDS = new Set([
  'Binds', 'Mounts', 'Tmpfs', 'AutoRemove', 'NetworkMode', 'Runtime', 'ConsoleSize', 'CapAdd', 'CapDrop', 'Dns', 'DnsOptions', 'DnsSearch',
  'ExtraHosts', 'GroupAdd', 'OomScoreAdj', 'Privileged', 'ReadonlyRootfs', 'SecurityOpt', 'ShmSize', 'CpuShares', 'Memory', 'NanoCpus',
  'CgroupParent', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'DeviceCgroupRules', 'MemoryReservation', 'MemorySwap',
  'OomKillDisable', 'PidsLimit', 'Ulimits', 'Sysctls', 'Init', 'Annotations', 'RestartPolicy', 'LogConfig', 'PortBindings',
  'PublishAllPorts', 'ContainerIDFile', 'MemorySwappiness', 'Isolation', 'CgroupnsMode', 'IpcMode', 'PidMode', 'UTSMode', 'UsernsMode',
  'Cgroup', 'VolumeDriver',
]);

/** Empty as Go's zero values and what docker/cli sends when a flag is not given. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value as Json).every(isEmpty);
  return false;
}

function refuseUnknown(object: Json, known: Set<string>, prefix: string): void {
  for (const [key, value] of Object.entries(object)) {
    if (!known.has(key) && !isEmpty(value)) throw invalidArgument(`${prefix}${key} is not supported by strata`);
  }
}

function str(o: Json, key: string, prefix: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalidArgument(`invalid ${prefix}${key}: a string is expected`);
  return v;
}

function num(o: Json, key: string, prefix: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === 0) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`invalid ${prefix}${key}: a number is expected`);
  return v;
}

function strings(o: Json, key: string, prefix: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidArgument(`invalid ${prefix}${key}: a list of strings is expected`);
  return v.length > 0 ? (v as string[]) : undefined;
}

function stringMap(o: Json, key: string, prefix: string): Record<string, string> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw invalidArgument(`invalid ${prefix}${key}: a JSON object of strings is expected`);
  }
  return Object.keys(v).length > 0 ? (v as Record<string, string>) : undefined;
}

function object(o: Json, key: string, prefix: string): Json | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`invalid ${prefix}${key}: a JSON object is expected`);
  return v as Json;
}

/** HostConfig.Mounts (docker's mount.Mount) as the CLI's `--mount` would have parsed them. */
function apiMount(m: unknown, index: number): MountRequest {
  const at = `HostConfig.Mounts[${index}]`;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalidArgument(`invalid ${at}: a JSON object is expected`);
  const o = m as Json;
  refuseUnknown(o, new Set(['Type', 'Source', 'Target', 'ReadOnly', 'Consistency', 'BindOptions', 'VolumeOptions', 'TmpfsOptions']), `${at}.`);
  const parts = [`type=${str(o, 'Type', `${at}.`) ?? ''}`, `target=${str(o, 'Target', `${at}.`) ?? ''}`];
  const source = str(o, 'Source', `${at}.`);
  if (source !== undefined) parts.push(`source=${source}`);
  if (o['ReadOnly'] === true) parts.push('readonly');
  const bind = object(o, 'BindOptions', `${at}.`);
  if (bind) {
    refuseUnknown(bind, new Set(['Propagation', 'NonRecursive', 'ReadOnlyNonRecursive', 'ReadOnlyForceRecursive', 'CreateMountpoint']), `${at}.BindOptions.`);
    const propagation = str(bind, 'Propagation', `${at}.BindOptions.`);
    if (propagation) parts.push(`bind-propagation=${propagation}`);
    if (bind['NonRecursive'] === true) parts.push('bind-recursive=disabled');
    if (bind['ReadOnlyNonRecursive'] === true) parts.push('bind-recursive=writable');
    if (bind['ReadOnlyForceRecursive'] === true) parts.push('bind-recursive=readonly');
  }
  const volume = object(o, 'VolumeOptions', `${at}.`);
  if (volume) {
    refuseUnknown(volume, new Set(['NoCopy', 'Labels', 'Subpath', 'DriverConfig']), `${at}.VolumeOptions.`);
    if (volume['NoCopy'] === true) parts.push('volume-nocopy');
    const subpath = str(volume, 'Subpath', `${at}.VolumeOptions.`);
    if (subpath) parts.push(`volume-subpath=${subpath}`);
    for (const [k, v] of Object.entries(stringMap(volume, 'Labels', `${at}.VolumeOptions.`) ?? {})) parts.push(`volume-label=${k}=${v}`);
    const driver = object(volume, 'DriverConfig', `${at}.VolumeOptions.`);
    if (driver) {
      const name = str(driver, 'Name', `${at}.VolumeOptions.DriverConfig.`);
      if (name) parts.push(`volume-driver=${name}`);
      for (const [k, v] of Object.entries(stringMap(driver, 'Options', `${at}.VolumeOptions.DriverConfig.`) ?? {})) parts.push(`volume-opt=${k}=${v}`);
    }
  }
  const tmpfs = object(o, 'TmpfsOptions', `${at}.`);
  if (tmpfs) {
    refuseUnknown(tmpfs, new Set(['SizeBytes', 'Mode']), `${at}.TmpfsOptions.`);
    const size = num(tmpfs, 'SizeBytes', `${at}.TmpfsOptions.`);
    if (size !== undefined) parts.push(`tmpfs-size=${size}`);
    const mode = num(tmpfs, 'Mode', `${at}.TmpfsOptions.`);
    if (mode !== undefined) parts.push(`tmpfs-mode=${mode.toString(8)}`);
  }
  try {
    // Commas inside values can't be told apart here; docker's API never needs them in these fields.
    return parseMountFlag(parts.join(','), '/');
  } catch (err) {
    if (err instanceof Error) throw invalidArgument(`invalid ${at}: ${err.message}`);
    throw err;
  }
}

function ulimits(host: Json): Ulimit[] | undefined {
  const v = host['Ulimits'];
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return undefined;
  if (!Array.isArray(v)) throw invalidArgument('invalid HostConfig.Ulimits: a list is expected');
  return ulimitsByName(v.map((u: unknown, i) => {
    const o = (u ?? {}) as Json;
    if (typeof o['Name'] !== 'string' || typeof o['Soft'] !== 'number' || typeof o['Hard'] !== 'number') {
      throw invalidArgument(`invalid HostConfig.Ulimits[${i}]: Name, Soft and Hard are expected`);
    }
    return { name: o['Name'], soft: o['Soft'], hard: o['Hard'] };
  }));
}

function checkPolicies(host: Json): void {
  const restart = object(host, 'RestartPolicy', 'HostConfig.');
  const policy = restart ? str(restart, 'Name', 'HostConfig.RestartPolicy.') ?? 'no' : 'no';
  if (policy !== 'no') throw invalidArgument(`HostConfig.RestartPolicy ${policy} is not supported by strata: it has no daemon to restart containers`);
  const log = object(host, 'LogConfig', 'HostConfig.');
  const driver = log ? str(log, 'Type', 'HostConfig.LogConfig.') ?? 'json-file' : 'json-file';
  if (driver !== 'json-file') throw invalidArgument(`HostConfig.LogConfig.Type ${driver} is not supported by strata: it keeps docker's json-file log only`);
  if (log && !isEmpty(log['Config'])) throw invalidArgument('HostConfig.LogConfig.Config is not supported by strata');
  const swappiness = host['MemorySwappiness'];
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1) throw invalidArgument('HostConfig.MemorySwappiness is not supported by strata');
  for (const key of ['Isolation', 'CgroupnsMode', 'IpcMode', 'PidMode', 'UTSMode', 'UsernsMode', 'Cgroup', 'VolumeDriver']) {
    const value = host[key];
    const defaults: Record<string, string[]> = { Isolation: ['default'], CgroupnsMode: ['private', 'host'], IpcMode: ['private', 'shareable'], VolumeDriver: ['local'] };
    if (!isEmpty(value) && !(defaults[key] ?? []).includes(value as string)) throw invalidArgument(`HostConfig.${key} ${String(value)} is not supported by strata`);
  }
}

/**
 * The create request of a body. The image must be in the store: dockerd does not pull at
 * create (docker's CLI pulls and asks again on a 404).
 * @throws invalid-argument naming the field; not-found `No such image: …`.
 */
export function createRequestOf(body: unknown, name: string | undefined, images: ImageStore, containers: ContainerManager): CreateRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('invalid container create request: a JSON object is expected');
  const config = body as Json;
  for (const key of UNSUPPORTED_CONFIG) if (!isEmpty(config[key])) throw invalidArgument(`Config.${key} is not supported by strata`);
  const host = object(config, 'HostConfig', '') ?? {};
  refuseUnknown(host, HOST_FIELDS, 'HostConfig.');
  checkPolicies(host);
  const imageRef = str(config, 'Image', 'Config.');
  if (imageRef === undefined) throw invalidArgument('Config.Image: no image specified');
  const imageId = images.lookup(imageRef);
  if (imageId === undefined) throw notFound(`No such image: ${imageRef}`);
  const { network: net, mode, net: networks, netContainer, bindings, publishAll, exposed } = apiNetworking(config, host, containers);
  if (netContainer !== undefined && (str(config, 'Hostname', 'Config.') !== undefined || strings(host, 'Dns', 'HostConfig.') !== undefined)) {
    throw invalidArgument('conflicting options: Config.Hostname or HostConfig.Dns and the network mode');
  }

  const entrypoint = strings(config, 'Entrypoint', 'Config.');
  const tty = config['Tty'] === true;
  const init = host['Init'] === true;
  const extraHosts = strings(host, 'ExtraHosts', 'HostConfig.')?.map((h) => {
    const at = h.search(/[:=]/);
    if (at <= 0) throw invalidArgument(`invalid HostConfig.ExtraHosts "${h}": bad format for add-host`);
    return { name: h.slice(0, at), ip: h.slice(at + 1).replace(/^\[|\]$/g, '') };
  });
  const securityOpt = strings(host, 'SecurityOpt', 'HostConfig.');
  const run: Omit<RunOptions, 'id' | 'mounts'> = {
    ...(strings(config, 'Cmd', 'Config.') ? { command: strings(config, 'Cmd', 'Config.') as string[] } : {}),
    // `Entrypoint: [""]` clears the image's (the CLI's `--entrypoint ''`).
    ...(entrypoint !== undefined ? { entrypoint } : {}),
    ...(strings(config, 'Env', 'Config.') ? { env: strings(config, 'Env', 'Config.') as string[] } : {}),
    ...(str(config, 'User', 'Config.') ? { user: str(config, 'User', 'Config.') as string } : {}),
    ...(strings(host, 'GroupAdd', 'HostConfig.') ? { groupAdd: strings(host, 'GroupAdd', 'HostConfig.') as string[] } : {}),
    ...(str(config, 'WorkingDir', 'Config.') ? { workdir: str(config, 'WorkingDir', 'Config.') as string } : {}),
    ...(str(config, 'Hostname', 'Config.') ? { hostname: str(config, 'Hostname', 'Config.') as string } : {}),
    ...(str(config, 'Domainname', 'Config.') ? { domainname: str(config, 'Domainname', 'Config.') as string } : {}),
    tty,
    network: net,
    ...(extraHosts ? { extraHosts } : {}),
    ...(strings(host, 'Dns', 'HostConfig.') ? { dns: strings(host, 'Dns', 'HostConfig.') as string[] } : {}),
    ...(strings(host, 'DnsSearch', 'HostConfig.') ? { dnsSearch: strings(host, 'DnsSearch', 'HostConfig.') as string[] } : {}),
    ...(strings(host, 'DnsOptions', 'HostConfig.') ? { dnsOptions: strings(host, 'DnsOptions', 'HostConfig.') as string[] } : {}),
    ...(init ? { init: true } : {}),
    ...(host['Privileged'] === true ? { privileged: true } : {}),
    ...(strings(host, 'CapAdd', 'HostConfig.') ? { capAdd: strings(host, 'CapAdd', 'HostConfig.') as string[] } : {}),
    ...(strings(host, 'CapDrop', 'HostConfig.') ? { capDrop: strings(host, 'CapDrop', 'HostConfig.') as string[] } : {}),
    ...(host['ReadonlyRootfs'] === true ? { readOnly: true } : {}),
    ...securityOptions(securityOpt ?? []),
    ...numbers(host),
    ...(ulimits(host) ? { ulimits: ulimits(host) as Ulimit[] } : {}),
    ...(host['OomKillDisable'] === true ? { oomKillDisable: true } : {}),
    ...(stringMap(host, 'Sysctls', 'HostConfig.') ? { sysctls: stringMap(host, 'Sysctls', 'HostConfig.') as Record<string, string> } : {}),
    ...(strings(host, 'DeviceCgroupRules', 'HostConfig.') ? { deviceCgroupRules: strings(host, 'DeviceCgroupRules', 'HostConfig.') as string[] } : {}),
    ...(stringMap(host, 'Annotations', 'HostConfig.') ? { annotations: stringMap(host, 'Annotations', 'HostConfig.') as Record<string, string> } : {}),
    ...(str(host, 'CgroupParent', 'HostConfig.') ? { cgroupParent: str(host, 'CgroupParent', 'HostConfig.') as string } : {}),
  };
  const binds = strings(host, 'Binds', 'HostConfig.') ?? [];
  const anonymous = Object.keys(object(config, 'Volumes', 'Config.') ?? {});
  const tmpfs = stringMap(host, 'Tmpfs', 'HostConfig.') ?? {};
  const apiMounts = (host['Mounts'] === undefined || host['Mounts'] === null ? [] : host['Mounts']) as unknown;
  if (!Array.isArray(apiMounts)) throw invalidArgument('invalid HostConfig.Mounts: a list is expected');
  const bindRequests = binds.map((b, i) => {
    try {
      return parseVolumeFlag(b, '/');
    } catch (err) {
      if (err instanceof Error) throw invalidArgument(`invalid HostConfig.Binds[${i}] "${b}": ${err.message}`);
      throw err;
    }
  });
  const mountRequests = apiMounts.map(apiMount);
  const targets = new Set([...bindRequests, ...mountRequests].map((m) => m.target));
  const mounts: MountRequest[] = [
    ...bindRequests,
    ...mountRequests,
    ...Object.entries(tmpfs).map(([target, options]) => parseTmpfsFlag(options ? `${target}:${options}` : target)),
    // Config.Volumes: anonymous volumes (`-v /data`), unless a bind or mount covers the path.
    ...anonymous.filter((t) => !targets.has(t)).map((t) => parseVolumeFlag(t, '/')),
  ];
  const stopSignal = str(config, 'StopSignal', 'Config.');
  if (stopSignal !== undefined) parseSignal(stopSignal);
  const stopTimeout = config['StopTimeout'];
  if (stopTimeout !== undefined && stopTimeout !== null && !Number.isInteger(stopTimeout)) throw invalidArgument('invalid Config.StopTimeout: an integer is expected');
  const consoleSize = host['ConsoleSize'];
  const settings: HostSettings = {
    Binds: binds.length > 0 ? binds : null,
    AutoRemove: host['AutoRemove'] === true,
    NetworkMode: mode,
    Runtime: str(host, 'Runtime', 'HostConfig.') ?? 'runc',
    ...(Object.keys(tmpfs).length > 0 ? { Tmpfs: tmpfs } : {}),
    ...(apiMounts.length > 0 ? { Mounts: apiMounts as Array<Record<string, unknown>> } : {}),
    SecurityOpt: securityOpt ?? null,
    ConsoleSize: Array.isArray(consoleSize) && consoleSize.length === 2 ? [Number(consoleSize[0]) || 0, Number(consoleSize[1]) || 0] : [0, 0],
    PortBindings: bindings,
    PublishAllPorts: publishAll,
  };
  const labels = stringMap(config, 'Labels', 'Config.');
  const attach = config['AttachStdout'] === true || config['AttachStderr'] === true || config['AttachStdin'] === true;
  return {
    imageRef, imageId, run, mounts, host: settings,
    ...(name !== undefined && name !== '' ? { name: name.replace(/^\//, '') } : {}),
    ...(labels ? { labels } : {}),
    ...(stopSignal !== undefined ? { stopSignal } : {}),
    ...(typeof stopTimeout === 'number' ? { stopTimeout } : {}),
    ...(config['OpenStdin'] === true ? { openStdin: true } : {}),
    ...(attach ? { attach: true } : {}),
    ...(networks ? { net: networks } : {}),
    ...(netContainer ? { netContainer } : {}),
    ...(publishAll ? { publishAll: true } : {}),
    ...(exposed.length > 0 ? { exposedPorts: exposed } : {}),
  };
}

/** HostConfig's numeric resources, as the CLI's `-m`, `--cpus`… set them. */
function numbers(host: Json): Partial<RunOptions> {
  const p = 'HostConfig.';
  const out: Partial<RunOptions> = {};
  const set = <K extends keyof RunOptions>(key: K, field: string): void => {
    const v = num(host, field, p);
    if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  };
  set('shmSize', 'ShmSize');
  set('memory', 'Memory');
  set('memorySwap', 'MemorySwap');
  set('memoryReservation', 'MemoryReservation');
  set('nanoCpus', 'NanoCpus');
  set('cpuShares', 'CpuShares');
  set('cpuPeriod', 'CpuPeriod');
  set('cpuQuota', 'CpuQuota');
  set('pidsLimit', 'PidsLimit');
  set('oomScoreAdj', 'OomScoreAdj');
  const cpus = str(host, 'CpusetCpus', p);
  if (cpus) out.cpusetCpus = cpus;
  const mems = str(host, 'CpusetMems', p);
  if (mems) out.cpusetMems = mems;
  return out;
}

/** HostConfig.SecurityOpt as the CLI's `--security-opt` (profiles inline, as docker/cli sends them). */
function securityOptions(values: string[]): Pick<RunOptions, 'noNewPrivileges' | 'seccomp'> {
  const out: Pick<RunOptions, 'noNewPrivileges' | 'seccomp'> = {};
  for (const v of values) {
    const sep = v.search(/[=:]/);
    const key = sep < 0 ? v : v.slice(0, sep);
    const value = sep < 0 ? '' : v.slice(sep + 1);
    if (key === 'no-new-privileges') out.noNewPrivileges = value !== 'false';
    else if (key === 'seccomp') {
      if (value === 'unconfined') out.seccomp = 'unconfined';
      else if (value === '' || value === 'builtin' || value === 'default') out.seccomp = 'default';
      else {
        try {
          out.seccomp = JSON.parse(value) as RunOptions['seccomp'];
        } catch (err) {
          throw invalidArgument(`invalid HostConfig.SecurityOpt seccomp profile: ${(err as Error).message}`);
        }
      }
    } else if (!['label', 'apparmor', 'systempaths'].includes(key)) throw invalidArgument(`invalid HostConfig.SecurityOpt "${v}"`);
  }
  return out;
}
