/**
 * docker's `run`/`create` options as the runtime needs them: plain values the CLI has
 * already parsed (sizes in bytes, mounts parsed by `mount-parse.ts`, env collected by
 * `env.ts`). Nothing here names an image, a snapshot or a database row.
 */
import type { LinuxSeccomp } from './spec-types.ts';

/** A mount as the OCI runtime will do it: a host path bound in, or a fresh tmpfs. */
export type RuntimeMount = BindMount | TmpfsMount;

export interface BindMount {
  type: 'bind';
  /** Absolute host path (a named volume is resolved to its directory by the caller). */
  source: string;
  /** Absolute path inside the container. */
  destination: string;
  readOnly: boolean;
  /** Default `rprivate`, as docker. */
  propagation?: Propagation;
  /** `bind` instead of `rbind` (`--mount …,bind-recursive=disabled`). */
  nonRecursive?: boolean;
  /**
   * Read-only at the top only, the mounts below it left writable, as before docker 25
   * (`bind-recursive=writable`). Otherwise a read-only bind is read-only all the way down.
   */
  readOnlyNonRecursive?: boolean;
  /** Never fall back to a read-only top only, even with nothing mounted below (`bind-recursive=readonly`). */
  readOnlyForceRecursive?: boolean;
}

export interface TmpfsMount {
  type: 'tmpfs';
  destination: string;
  /** The tmpfs data as docker keeps it (`size=64m,mode=1777`), merged with docker's defaults. */
  data: string;
}

export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

export interface Ulimit {
  /** Lower-case name as `--ulimit` takes it: `nofile`, `nproc`, `core`, … */
  name: string;
  soft: number;
  hard: number;
}

export interface RunOptions {
  /** The container ID: 64 hex characters, as docker makes them (the hostname is its first 12). */
  id: string;
  /** The words after IMAGE on the command line; an empty array is the same as none. */
  command?: string[];
  /**
   * `--entrypoint`: `''` clears the image's, any other value replaces it (and drops its CMD);
   * the Engine API's Config.Entrypoint is a list.
   */
  entrypoint?: string | string[];
  /**
   * `-e`/`--env-file` in the order docker applies them (env files first, then `-e`), each
   * `KEY=VALUE`, or a bare `KEY` to remove the variable (see `collectRunEnv`).
   */
  env?: string[];
  /** `-u`: `uid`, `uid:gid`, `name`, `name:group`, … */
  user?: string;
  /** `--group-add`: names or numeric IDs. */
  groupAdd?: string[];
  /** `-w`. */
  workdir?: string;
  /** `--hostname`; default: the host's name with `--network host`, else the short ID. */
  hostname?: string;
  /** `--domainname`. */
  domainname?: string;
  /** `-t`. */
  tty?: boolean;
  /** Initial terminal size for `-t` (rows × columns of the caller's terminal). */
  consoleSize?: { height: number; width: number };
  /**
   * `host` shares the host's network namespace; `none` is a namespace of the container's own:
   * a new one with only `lo`, or `netnsPath` (a bridge network's, another container's).
   */
  network?: 'none' | 'host';
  /** A network namespace to join (a bridge network's, or another container's) instead of a new one. */
  netnsPath?: string;
  /** The container's own addresses, as /etc/hosts lines after the defaults (`172.17.0.2 <hostname>`). */
  ownHosts?: Array<{ name: string; ip: string }>;
  /** Nameservers that replace the host's in resolv.conf (a user network's DNS at its gateway). */
  resolvers?: string[];
  /** `--add-host name:ip` as records. */
  extraHosts?: Array<{ name: string; ip: string }>;
  /** `--dns`, `--dns-search`, `--dns-option`. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** `--init`: run tini as PID 1 (bind-mounted at /sbin/docker-init). */
  init?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** `--read-only`. */
  readOnly?: boolean;
  /** `--security-opt no-new-privileges`. */
  noNewPrivileges?: boolean;
  /** `--security-opt seccomp=…`: `default` (strata's profile), `unconfined`, or a parsed profile. */
  seccomp?: 'default' | 'unconfined' | LinuxSeccomp;
  /** `--security-opt systempaths=unconfined`: no masked or read-only /proc and /sys paths. */
  unmaskSystemPaths?: boolean;
  /** `-v`, `--mount`, `--tmpfs`, resolved to host paths. */
  mounts?: RuntimeMount[];
  /** `--shm-size` in bytes (default 64 MiB). */
  shmSize?: number;
  /** `--memory` in bytes. */
  memory?: number;
  /** `--memory-swap` in bytes; -1 is unlimited; default twice `memory`. */
  memorySwap?: number;
  /** `--memory-reservation` in bytes. */
  memoryReservation?: number;
  /** `--cpus` in billionths of a CPU (docker's NanoCPUs): 1.5 CPUs is 1_500_000_000. */
  nanoCpus?: number;
  /** `--cpu-shares`. */
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** `--pids-limit`; 0 or negative is unlimited. */
  pidsLimit?: number;
  /** `--ulimit`; clamped to the caller's hard limits. */
  ulimits?: Ulimit[];
  /** `--oom-score-adj`; left to the runtime's own value when absent. */
  oomScoreAdj?: number;
  /** `--oom-kill-disable`. */
  oomKillDisable?: boolean;
  /** `--sysctl`. */
  sysctls?: Record<string, string>;
  /** `--device-cgroup-rule`. */
  deviceCgroupRules?: string[];
  /** `--annotation`. */
  annotations?: Record<string, string>;
  /** `--stop-signal`; default the image's STOPSIGNAL, else SIGTERM (see `containerStopSignal`). */
  stopSignal?: string;
  /** `--cgroup-parent`; default `/strata`. */
  cgroupParent?: string;
}
