/**
 * The facts about this host and caller that a runtime spec depends on, read once per
 * process: cgroup layout, the caller's capabilities and rlimits, the files docker copies
 * for `--network host`, which sysctls exist, the CPUs, the init binary. `buildSpec` takes
 * them as a value, so it stays pure and tests can give any host they like.
 */
import { existsSync, readFileSync, readdirSync, lstatSync, statSync } from 'node:fs';
import { availableParallelism, hostname, release } from 'node:os';
import { join } from 'node:path';
import { capabilitiesFromMask } from './capabilities.ts';
import type { LinuxDevice } from './spec-types.ts';

export interface RlimitValue {
  /** -1 is unlimited. */
  soft: number;
  hard: number;
}

export interface HostInfo {
  /** 2 when /sys/fs/cgroup is the unified hierarchy, else 1 (v1 or hybrid, as here). */
  cgroupVersion: 1 | 2;
  /** The caller's bounding set: what a container may get at most. */
  capabilities: string[];
  /** The caller's rlimits by lower-case name (`nofile`, `nproc`, …). */
  rlimits: Record<string, RlimitValue>;
  hostname: string;
  /** /etc/hosts of the host ('' when missing). */
  hostsFile: string;
  /** The host's resolv.conf (systemd-resolved's upstream file when /etc/resolv.conf is its stub). */
  resolvConf: string;
  /** Sysctls docker sets when they exist: `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`. */
  sysctls: string[];
  cpuCount: number;
  /** /sys/devices/system/cpu/cpuN/thermal_throttle paths that exist (masked, as moby does). */
  thermalThrottlePaths: string[];
  /** A static tini for `--init` (docker's docker-init), if installed. */
  initPath?: string;
  /** `uname -r`: whether the kernel has what `rro` mounts need (see read-only-binds.ts). */
  kernelRelease: string;
}

const RLIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'cpu', 'Max file size': 'fsize', 'Max data size': 'data', 'Max stack size': 'stack',
  'Max core file size': 'core', 'Max resident set': 'rss', 'Max processes': 'nproc', 'Max open files': 'nofile',
  'Max locked memory': 'memlock', 'Max address space': 'as', 'Max file locks': 'locks',
  'Max pending signals': 'sigpending', 'Max msgqueue size': 'msgqueue', 'Max nice priority': 'nice',
  'Max realtime priority': 'rtprio', 'Max realtime timeout': 'rttime',
};

/** Parses /proc/<pid>/limits. */
export function parseProcLimits(text: string): Record<string, RlimitValue> {
  const out: Record<string, RlimitValue> = {};
  for (const line of text.split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m === null) continue;
    const name = RLIMIT_NAMES[(m[1] as string).trim()];
    if (name === undefined) continue;
    const num = (s: string): number => (s === 'unlimited' ? -1 : Number(s));
    out[name] = { soft: num(m[2] as string), hard: num(m[3] as string) };
  }
  return out;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** systemd-resolved's stub resolver is unreachable from another network namespace. */
function hostResolvConf(): string {
  const text = readText('/etc/resolv.conf');
  const servers = text.split('\n').filter((l) => /^nameserver\s/.test(l)).map((l) => l.split(/\s+/)[1]);
  if (servers.length > 0 && servers.every((s) => s === '127.0.0.53')) {
    const upstream = readText('/run/systemd/resolve/resolv.conf');
    if (upstream !== '') return upstream;
  }
  return text;
}

function possibleCpus(): number[] {
  const text = readText('/sys/devices/system/cpu/possible').trim();
  const out: number[] = [];
  for (const range of text.split(',')) {
    const [a, b] = range.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

const INIT_CANDIDATES = ['/usr/bin/docker-init', '/usr/libexec/docker/docker-init', '/usr/bin/tini-static', '/usr/local/bin/docker-init'];

let cached: HostInfo | undefined;

/** Reads the host facts (cached for the life of the process). */
export function probeHost(): HostInfo {
  if (cached !== undefined) return cached;
  const status = readText('/proc/self/status');
  const bnd = /^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0';
  const info: HostInfo = {
    cgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? 2 : 1,
    capabilities: capabilitiesFromMask(bnd),
    rlimits: parseProcLimits(readText('/proc/self/limits')),
    hostname: hostname(),
    hostsFile: readText('/etc/hosts'),
    resolvConf: hostResolvConf(),
    sysctls: ['net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start']
      .filter((s) => existsSync(join('/proc/sys', s.replaceAll('.', '/')))),
    cpuCount: availableParallelism(),
    kernelRelease: release(),
    thermalThrottlePaths: possibleCpus()
      .map((n) => `/sys/devices/system/cpu/cpu${n}/thermal_throttle`)
      .filter((p) => existsSync(p)),
  };
  const init = INIT_CANDIDATES.find((p) => existsSync(p));
  if (init !== undefined) info.initPath = init;
  cached = info;
  return info;
}

const SKIPPED_DEV_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/**
 * Every device node under /dev (what `--privileged` gives a container), as containerd's
 * HostDevices lists them.
 */
export function hostDevices(root = '/dev'): LinuxDevice[] {
  const out: LinuxDevice[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (!(dir === root && SKIPPED_DEV_DIRS.has(name))) walk(path);
        continue;
      }
      if (path === '/dev/console') continue;
      if (!st.isCharacterDevice() && !st.isBlockDevice()) continue;
      const rdev = statSync(path).rdev;
      out.push({
        path, type: st.isCharacterDevice() ? 'c' : 'b',
        major: Number((BigInt(rdev) >> 8n) & 0xfffn), minor: Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & 0xfff00n)),
        fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid,
      });
    }
  };
  walk(root);
  return out;
}
