/**
 * The runtime spec: docker's run options and an image config turned into the OCI
 * `config.json` runc runs, following moby's daemon/oci_linux.go and oci/defaults.go.
 *
 * `buildSpec` is pure: everything it reads from the outside (the rootfs's passwd and group
 * files, the host's facts, where the bundle's hosts/hostname/resolv.conf files are) comes
 * in as values. `bundle.ts` does the I/O around it.
 *
 * Where strata differs from docker on purpose:
 * - networking: the container joins the namespace `netnsPath` names (its bridge network's,
 *   made and set up by network/, or another container's); without one, `none` is a new
 *   namespace with only `lo` and `host` shares the host's.
 * - seccomp: strata's own deny-list profile (see seccomp.ts), not docker's allow-list.
 * - no time namespace (runc 1.1 has none) and no AppArmor/SELinux labels.
 * - masked paths: moby's current list, a superset of docker 20.10's.
 */
import { posix } from 'node:path';
import { failedPrecondition, invalidArgument } from '../errdefs/index.ts';
import { containerCapabilities } from './capabilities.ts';
import { resolveCommand, type ContainerCommand } from './command.ts';
import { containerProcessEnv, mergeImageEnv } from './env.ts';
import type { HostInfo } from './host-info.ts';
import type { ImageRunConfig } from './image-config.ts';
import { readOnlyOption, type RecursiveReadOnly } from './read-only-binds.ts';
import { cgroupResources, containerRlimits, parseDeviceCgroupRule } from './resources.ts';
import type { RunOptions, RuntimeMount } from './run-options.ts';
import { defaultSeccompProfile } from './seccomp.ts';
import { defaultDeviceRules, defaultMaskedPaths, defaultMounts, defaultReadonlyPaths } from './spec-defaults.ts';
import type { LinuxDevice, MountEntry, RuntimeSpec } from './spec-types.ts';
import { resolveUser, type ResolvedUser } from './user.ts';

/** Where docker's `--init` puts tini inside the container. */
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

/** The OCI runtime-spec version runc 1.1 speaks. */
export const OCI_VERSION = '1.0.2-dev';

export interface SpecInput {
  /** Host path of the container's mounted root filesystem. */
  rootfs: string;
  image?: ImageRunConfig;
  options: RunOptions;
  /** The rootfs's /etc/passwd and /etc/group contents (undefined when absent). */
  userDb: { passwd?: string; group?: string };
  /** Host paths of the bundle's generated files, bind-mounted over /etc. */
  etcFiles: { hosts: string; hostname: string; resolvConf: string };
  host: HostInfo;
  /** Host devices for `--privileged` (see `hostDevices`); none when absent. */
  privilegedDevices?: LinuxDevice[];
  /** Whether read-only binds can be made read-only all the way down (`rro`); assumed when absent. */
  recursiveReadOnly?: RecursiveReadOnly;
}

export interface SpecResult {
  spec: RuntimeSpec;
  command: ContainerCommand;
  /** The container's hostname. */
  hostname: string;
  /** docker's `Config.Env` (the run's entries, then the image's it doesn't override). */
  configEnv: string[];
  /** The working directory the process starts in (the caller creates it in the rootfs). */
  cwd: string;
  user: ResolvedUser;
}

const isHostNetwork = (options: RunOptions): boolean => options.network === 'host';

/** The hostname a container gets: `--hostname`, else the host's with `--network host`, else the short ID. */
export function containerHostname(options: RunOptions, host: Pick<HostInfo, 'hostname'>): string {
  if (options.hostname) return options.hostname;
  return isHostNetwork(options) ? host.hostname : options.id.slice(0, 12);
}

/** The working directory: `-w`, else the image's WorkingDir, else `/`. @throws invalid-argument for a relative `-w`. */
export function containerWorkdir(options: RunOptions, image: ImageRunConfig | undefined): string {
  const wd = options.workdir ?? (image?.WorkingDir || '');
  if (wd === '') return '/';
  if (!wd.startsWith('/')) throw invalidArgument(`the working directory '${wd}' is invalid, it needs to be an absolute path`);
  return posix.normalize(wd);
}

const depth = (p: string): number => posix.normalize(p).split('/').length;

function userMountEntries(mounts: readonly RuntimeMount[], recursiveReadOnly: RecursiveReadOnly | undefined): MountEntry[] {
  const binds: MountEntry[] = [];
  const tmpfs: MountEntry[] = [];
  for (const m of mounts) {
    if (m.type === 'tmpfs') {
      const options = mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...(m.data === '' ? [] : m.data.split(','))]);
      tmpfs.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options });
    } else {
      const options = [m.nonRecursive ? 'bind' : 'rbind'];
      const readOnly = readOnlyOption(m, recursiveReadOnly);
      if (readOnly !== undefined) options.push(readOnly);
      options.push(m.propagation ?? 'rprivate');
      binds.push({ destination: m.destination, type: 'bind', source: m.source, options });
    }
  }
  return [...binds, ...tmpfs];
}

const TMPFS_FLAG_GROUPS: Record<string, string> = {
  ro: 'ro', rw: 'ro', suid: 'suid', nosuid: 'suid', dev: 'dev', nodev: 'dev', exec: 'exec', noexec: 'exec',
  sync: 'sync', async: 'sync', dirsync: 'dirsync', remount: 'remount', mand: 'mand', nomand: 'mand',
  atime: 'atime', noatime: 'atime', diratime: 'diratime', nodiratime: 'diratime',
  relatime: 'relatime', norelatime: 'relatime', strictatime: 'strictatime', nostrictatime: 'strictatime',
  bind: 'propagation', rbind: 'propagation', unbindable: 'propagation', runbindable: 'propagation',
  private: 'propagation', rprivate: 'propagation', shared: 'propagation', rshared: 'propagation',
  slave: 'propagation', rslave: 'propagation',
};
const TMPFS_DATA = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/**
 * moby/sys/mount's MergeTmpfsOptions: later options win over earlier ones of the same kind
 * (`exec` over `noexec`, the last `size=`), order otherwise kept.
 * @throws invalid-argument `invalid tmpfs option "x"`.
 */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i] as string;
    if (option === 'defaults') continue;
    const group = TMPFS_FLAG_GROUPS[option];
    let key: string;
    if (group !== undefined) {
      key = 'flag:' + group;
    } else {
      const name = option.split('=')[0] as string;
      if (!option.includes('=') || !TMPFS_DATA.has(name)) throw invalidArgument(`invalid tmpfs option ${JSON.stringify(name)}`);
      key = 'data:' + name;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.unshift(option);
  }
  return out;
}

/**
 * Builds the runtime spec for one container.
 * @throws invalid-argument for bad options (`no command specified`, `unable to find user x:
 *   no matching entries in passwd file`, resource limits, capabilities, tmpfs options);
 *   failed-precondition for `--init` without a tini binary on the host, or a read-only
 *   bind that can't be made read-only all the way down.
 */
export function buildSpec(input: SpecInput): SpecResult {
  const { options, image, host } = input;
  if (!/^[\w+.-]+$/.test(options.id)) throw invalidArgument(`invalid container ID ${JSON.stringify(options.id)}`);
  const command = resolveCommand(image, options);
  const hostname = containerHostname(options, host);
  const configEnv = mergeImageEnv(image?.Env, options.env);
  const cwd = containerWorkdir(options, image);
  const tty = options.tty === true;
  const user = resolveUser(options.user ?? image?.User ?? '', input.userDb, options.groupAdd);
  const privileged = options.privileged === true;
  const caps = containerCapabilities({
    privileged, capAdd: options.capAdd ?? [], capDrop: options.capDrop ?? [], available: host.capabilities,
  });

  let args = [command.path, ...command.args];
  const mounts = defaultMounts();
  if (options.init) {
    if (host.initPath === undefined) {
      throw failedPrecondition('docker-init binary not found: --init needs tini', { hint: "install Debian's tini package (it provides /usr/bin/tini-static)" });
    }
    args = [INIT_PATH_IN_CONTAINER, '--', ...args];
    mounts.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: host.initPath, options: ['bind', 'ro'] });
  }

  // The caller's mounts, then the /etc files unless the caller mounts those paths itself.
  const extraMounts = userMountEntries(options.mounts ?? [], input.recursiveReadOnly);
  const userTargets = new Set(extraMounts.map((m) => m.destination));
  const etcWritable = options.readOnly !== true;
  for (const [destination, source] of [
    ['/etc/resolv.conf', input.etcFiles.resolvConf], ['/etc/hostname', input.etcFiles.hostname], ['/etc/hosts', input.etcFiles.hosts],
  ] as const) {
    if (userTargets.has(destination)) continue;
    extraMounts.push({ destination, type: 'bind', source, options: etcWritable ? ['rbind', 'rprivate'] : ['rbind', 'ro', 'rprivate'] });
    userTargets.add(destination);
  }
  const sortedUser = extraMounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i).map((x) => x.m);

  const shmSize = options.shmSize ?? 64 * 1024 * 1024;
  if (shmSize < 0) throw invalidArgument('SHM size can not be less than 0');
  const userDev = userTargets.has('/dev');
  const kept: MountEntry[] = [];
  for (const m of mounts) {
    if (userTargets.has(m.destination)) continue;
    if (userDev && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') m.options = [...(m.options ?? []), `size=${shmSize}`];
    if (options.readOnly && !['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination)) {
      if (!m.options?.includes('ro')) m.options = [...(m.options ?? []), 'ro'];
    }
    if (privileged && (m.destination === '/sys' || m.type === 'cgroup')) m.options = m.options?.filter((o) => o !== 'ro');
    kept.push(m);
  }

  const namespaces: RuntimeSpec['linux']['namespaces'] = [{ type: 'mount' }];
  if (!isHostNetwork(options)) namespaces.push(options.netnsPath ? { type: 'network', path: options.netnsPath } : { type: 'network' });
  namespaces.push({ type: 'uts' }, { type: 'pid' }, { type: 'ipc' });
  if (host.cgroupVersion === 2) namespaces.push({ type: 'cgroup' });

  const sysctl: Record<string, string> = {};
  if (options.domainname) sysctl['kernel.domainname'] = options.domainname;
  if (!isHostNetwork(options)) {
    if (host.sysctls.includes('net.ipv4.ping_group_range')) sysctl['net.ipv4.ping_group_range'] = '0 2147483647';
    if (host.sysctls.includes('net.ipv4.ip_unprivileged_port_start')) sysctl['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  Object.assign(sysctl, options.sysctls ?? {});

  const devices = privileged
    ? [{ allow: true, access: 'rwm' }]
    : [...defaultDeviceRules(), ...(options.deviceCgroupRules ?? []).map(parseDeviceCgroupRule)];

  const spec: RuntimeSpec = {
    ociVersion: OCI_VERSION,
    process: {
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args,
      env: containerProcessEnv(configEnv, hostname, tty),
      cwd,
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
    },
    root: { path: input.rootfs },
    hostname,
    mounts: [...kept, ...sortedUser],
    linux: {
      resources: { devices, ...cgroupResources(options, host.cpuCount) },
      cgroupsPath: `${options.cgroupParent ?? '/strata'}/${options.id}`,
      namespaces,
      maskedPaths: privileged || options.unmaskSystemPaths ? [] : defaultMaskedPaths(host.thermalThrottlePaths),
      readonlyPaths: privileged || options.unmaskSystemPaths ? [] : defaultReadonlyPaths(),
    },
  };
  if (tty) {
    spec.process.terminal = true;
    if (options.consoleSize) spec.process.consoleSize = { ...options.consoleSize };
  }
  if (options.noNewPrivileges) spec.process.noNewPrivileges = true;
  if (options.oomScoreAdj !== undefined) {
    if (options.oomScoreAdj < -1000 || options.oomScoreAdj > 1000) {
      throw invalidArgument(`Invalid value ${options.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
    }
    spec.process.oomScoreAdj = options.oomScoreAdj;
  }
  const rlimits = containerRlimits(options.ulimits, host.rlimits);
  if (rlimits.length > 0) spec.process.rlimits = rlimits;
  if (options.readOnly) spec.root.readonly = true;
  if (Object.keys(sysctl).length > 0) spec.linux.sysctl = sysctl;
  if (privileged) spec.linux.devices = [...(input.privilegedDevices ?? [])];
  const seccomp = options.seccomp ?? 'default';
  if (!privileged && seccomp !== 'unconfined') {
    spec.linux.seccomp = seccomp === 'default' ? defaultSeccompProfile(caps) : seccomp;
  }
  if (options.annotations && Object.keys(options.annotations).length > 0) spec.annotations = { ...options.annotations };
  return { spec, command, hostname, configEnv, cwd, user };
}

/** Serializes a spec for config.json; an rlimit of -1 becomes RLIM_INFINITY (2^64-1), which a JS number can't hold. */
export function serializeSpec(spec: RuntimeSpec): string {
  const INF = '"__strata_rlim_infinity__"';
  const json = JSON.stringify(spec, (key, value: unknown) => {
    if (key === 'rlimits' && Array.isArray(value)) {
      return (value as Array<{ type: string; soft: number; hard: number }>).map((r) => ({
        type: r.type,
        soft: r.soft === -1 ? '__strata_rlim_infinity__' : r.soft,
        hard: r.hard === -1 ? '__strata_rlim_infinity__' : r.hard,
      }));
    }
    return value;
  }, 2);
  return json.replaceAll(INF, '18446744073709551615');
}
