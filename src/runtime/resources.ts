/**
 * cgroup limits and rlimits from docker's flags, validated with the daemon's messages:
 * `--memory`, `--memory-swap`, `--memory-reservation`, `--cpus`, `--cpu-shares`,
 * `--cpu-period`/`--cpu-quota`, `--cpuset-*`, `--pids-limit`, `--ulimit`,
 * `--device-cgroup-rule`.
 */
import { quoteString } from '@strata/go-template';
import { invalidArgument } from '../errdefs/index.ts';
import type { RlimitValue } from './host-info.ts';
import type { RunOptions, Ulimit } from './run-options.ts';
import type { DeviceCgroupRule, LinuxResources, Rlimit } from './spec-types.ts';

const MIN_MEMORY = 6 * 1024 * 1024;

/**
 * The memory, CPU and pids parts of `linux.resources` (devices are added by the spec).
 * @throws invalid-argument `Minimum memory limit allowed is 6MB`, `range of CPUs is from 0.01
 *   to 2.00, as there are only 2 CPUs available`, and docker's other resource messages.
 */
export function cgroupResources(opts: RunOptions, cpuCount: number): Omit<LinuxResources, 'devices'> {
  const memory = opts.memory ?? 0;
  let swap = opts.memorySwap ?? 0;
  const reservation = opts.memoryReservation ?? 0;
  if (memory < 0) throw invalidArgument('invalid memory limit: must be a positive value');
  if (memory !== 0 && memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap === 0) swap = memory * 2;
  if (memory > 0 && swap > 0 && swap < memory) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0) throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (reservation > 0 && reservation < MIN_MEMORY) throw invalidArgument('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const nano = opts.nanoCpus ?? 0;
  if (nano > 0 && (opts.cpuPeriod ?? 0) > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (opts.cpuQuota ?? 0) > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano !== 0 && (nano < 0 || nano > cpuCount * 1e9)) {
    throw invalidArgument(`range of CPUs is from 0.01 to ${cpuCount}.00, as there are only ${cpuCount} CPUs available`);
  }
  const period = opts.cpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const shares = opts.cpuShares ?? 0;
  if (shares < 0) throw invalidArgument(`invalid CPU shares (${shares}): value must be a positive integer`);

  const out: Omit<LinuxResources, 'devices'> = {};
  const mem: NonNullable<LinuxResources['memory']> = {};
  if (memory > 0) mem.limit = memory;
  if (reservation > 0) mem.reservation = reservation;
  if (swap > 0) mem.swap = swap;
  if (opts.oomKillDisable !== undefined) mem.disableOOMKiller = opts.oomKillDisable;
  if (Object.keys(mem).length > 0) out.memory = mem;

  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if (shares > 0) cpu.shares = shares;
  if (opts.cpusetCpus) cpu.cpus = opts.cpusetCpus;
  if (opts.cpusetMems) cpu.mems = opts.cpusetMems;
  if (nano > 0) {
    cpu.period = 100000;
    cpu.quota = Math.trunc((nano * 100000) / 1e9);
  }
  if (period !== 0) cpu.period = period;
  if ((opts.cpuQuota ?? 0) !== 0) cpu.quota = opts.cpuQuota as number;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  if (opts.pidsLimit !== undefined) out.pids = { limit: opts.pidsLimit <= 0 ? -1 : opts.pidsLimit };
  return out;
}

/** The resources `--ulimit` knows, as docker names them (`as` is left out, as docker leaves it out). */
const ULIMIT_NAMES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64), with its errors. */
function parseInt64(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw invalidArgument(`strconv.ParseInt: parsing ${quoteString(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) throw invalidArgument(`strconv.ParseInt: parsing ${quoteString(s)}: value out of range`);
  return Number(n);
}

/**
 * One `--ulimit name=soft[:hard]` (`nofile=1024:2048`, `nproc=10`; -1 is unlimited), checked
 * as docker's CLI checks it, with its messages (its hard value is read before its soft one,
 * which decides the error of a value with two bad numbers).
 * @throws invalid-argument `invalid ulimit argument: x`, `invalid ulimit type: x`,
 *   `strconv.ParseInt: parsing "x": invalid syntax`, `ulimit soft limit must be less than or
 *   equal to hard limit: 2 > 1`, …
 */
export function parseUlimit(text: string): Ulimit {
  const eq = text.indexOf('=');
  if (eq < 0) throw invalidArgument(`invalid ulimit argument: ${text}`);
  const name = text.slice(0, eq);
  if (!ULIMIT_NAMES.includes(name)) throw invalidArgument(`invalid ulimit type: ${name}`);
  const limits = text.slice(eq + 1);
  const parts = limits.split(':');
  if (parts.length > 2) throw invalidArgument(`too many limit value arguments - ${limits}, can only have up to two, \`soft[:hard]\``);
  const hard = parts.length === 2 ? parseInt64(parts[1] as string) : undefined;
  const soft = parseInt64(parts[0] as string);
  if (hard === undefined) return { name, soft, hard: soft };
  if (hard !== -1) {
    if (soft === -1) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${hard}`);
    if (soft > hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { name, soft, hard };
}

/** `--ulimit` values as docker's CLI keeps them: the last one of each resource, in the order of their names. */
export function ulimitsByName(ulimits: readonly Ulimit[]): Ulimit[] {
  const byName = new Map<string, Ulimit>();
  for (const u of ulimits) byName.set(u.name, u);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * `process.rlimits` for `--ulimit`, each clamped to the caller's hard limit (-1 is
 * unlimited): a container can't be given more than its runtime holds, and runc fails when
 * asked (RLIMIT_NOFILE's hard limit is 20000 on these hosts). No `--ulimit` gives no
 * rlimits, and the container inherits the caller's, as docker's containers inherit
 * containerd's.
 */
export function containerRlimits(ulimits: readonly Ulimit[] | undefined, callerLimits: Record<string, RlimitValue>): Rlimit[] {
  const clamp = (value: number, max: number | undefined): number => {
    if (max === undefined || max === -1) return value;
    if (value === -1) return max;
    return Math.min(value, max);
  };
  return (ulimits ?? []).map((u) => {
    const max = callerLimits[u.name]?.hard;
    const hard = clamp(u.hard, max);
    let soft = clamp(u.soft, max);
    if (hard !== -1 && (soft === -1 || soft > hard)) soft = hard;
    return { type: `RLIMIT_${u.name.toUpperCase()}`, soft, hard };
  });
}

const DEVICE_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/**
 * One `--device-cgroup-rule` (`c 1:3 mr`, `a *:* rwm`).
 * @throws invalid-argument `invalid device cgroup rule format: 'x'`.
 */
export function parseDeviceCgroupRule(rule: string): DeviceCgroupRule {
  const m = DEVICE_RULE.exec(rule);
  if (m === null) throw invalidArgument(`invalid device cgroup rule format: '${rule}'`);
  const out: DeviceCgroupRule = { allow: true, type: m[1] as 'a' | 'c' | 'b', access: m[4] as string };
  out.major = m[2] === '*' ? -1 : Number(m[2]);
  out.minor = m[3] === '*' ? -1 : Number(m[3]);
  return out;
}
