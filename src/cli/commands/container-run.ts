/**
 * `create`, `run`, `start` and `exec`: docker's flags turned into a container and a
 * process, with docker's exit statuses (125 for an engine error at create, 126 when the
 * command can't be invoked, 127 when it isn't found, else the process's own) and signals
 * reaching the container in the foreground.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fromSystemError, invalidArgument, isStrataError, notFound, unimplemented, type StrataError } from '../../errdefs/index.ts';
import { formatReference, parseReference, withDefaultTag, type Digest } from '../../oci/index.ts';
import { traceMark, type Container, type ContainerManager, type CreateRequest, type HostSettings } from '../../containers/index.ts';
import type { Engine } from '../../engine/index.ts';
import { isNetworkAttachError, parsePublish, type ContainerNetworkSpec, type NetworkStore, type PortBindings } from '../../network/index.ts';
import {
  collectRunEnv, ContainerStartError, parseMountFlag, parseNanoCpus, parseRamBytes, parseSignal, parseTmpfsFlag, parseUlimit, parseVolumeFlag, ulimitsByName,
  type BindRequest, type MountRequest, type RunOptions, type Ulimit,
} from '../../runtime/index.ts';
import { CliContext } from '../context.ts';
import { keyValues } from '../key-values.ts';
import { removeCommandFor } from './container-hooks.ts';
import type { Options } from '../spec.ts';

const str = (o: Options, k: string): string | undefined => o[k] as string | undefined;
const list = (o: Options, k: string): string[] => (o[k] as string[] | undefined) ?? [];
const int = (o: Options, k: string): number | undefined => o[k] as number | undefined;


function readLabelFiles(files: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw fromSystemError(err, `open ${file}`);
    }
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      Object.assign(out, keyValues([t], 'label-file'));
    }
  }
  return out;
}

/** One `--ulimit` flag, checked as docker's CLI checks it; an error names the flag and its value. */
function ulimitFlag(value: string): Ulimit {
  try {
    return parseUlimit(value);
  } catch (err) {
    if (isStrataError(err)) throw invalidArgument(`invalid argument "${value}" for "--ulimit" flag: ${err.message}`);
    throw err;
  }
}

function sizeFlag(o: Options, k: string): number | undefined {
  const v = str(o, k);
  if (v === undefined || v === '') return undefined;
  if (k === 'memory-swap' && v === '-1') return -1;
  try {
    return parseRamBytes(v);
  } catch {
    throw invalidArgument(`invalid argument "${v}" for "--${k}" flag: invalid size: '${v}'`);
  }
}

/**
 * `--network` and what goes with it: `none` and `host` as before; `bridge` (the default, as
 * docker's) or a user-defined network's name or ID joins that bridge network, with `-p`,
 * `-P`, `--ip`, `--network-alias` and `--mac-address`.
 */
function networkOf(o: Options, networks: NetworkStore, containers: ContainerManager): { network: 'none' | 'host'; mode: string; net?: ContainerNetworkSpec; netContainer?: string; bindings: PortBindings } {
  const given = str(o, 'network') ?? str(o, 'net') ?? '';
  const bindings: PortBindings = {};
  for (const p of list(o, 'publish')) parsePublish(p, bindings);
  const publishing = Object.keys(bindings).length > 0 || o['publish-all'] === true;
  const bridgeOnly = (mode: string): void => {
    for (const flag of ['ip', 'mac-address']) if (str(o, flag)) throw invalidArgument(`--${flag} needs a bridge network: it has no effect with --network ${mode}`);
    if (list(o, 'network-alias').length > 0) throw invalidArgument(`network-scoped aliases are only supported for user-defined networks`);
  };
  switch (given) {
    case 'none':
      bridgeOnly(given);
      if (publishing) throw invalidArgument('conflicting options: port publishing and the container type network mode');
      return { network: 'none', mode: given, bindings: {} };
    case 'host':
      bridgeOnly(given);
      if (publishing) process.stderr.write('WARNING: Published ports are discarded when using host network mode\n');
      return { network: 'host', mode: 'host', bindings: {} };
    default: {
      if (given.startsWith('container:')) {
        bridgeOnly(given);
        if (publishing) throw invalidArgument('conflicting options: port publishing and the container type network mode');
        for (const flag of ['hostname', 'dns'] as const) if (o[flag] !== undefined && (o[flag] as string | string[]).length > 0) throw invalidArgument(`conflicting options: ${flag} and the network mode`);
        const other = containers.find(given.slice('container:'.length));
        return { network: 'none', mode: `container:${other.id}`, netContainer: other.id, bindings: {} };
      }
      const name = given === '' || given === 'default' ? 'bridge' : networks.find(given).name;
      if (name === 'host' || name === 'none') return networkOf({ ...o, network: name }, networks, containers);
      const aliases = list(o, 'network-alias');
      if (aliases.length > 0 && name === 'bridge') throw invalidArgument('network-scoped aliases are only supported for user-defined networks');
      const mac = str(o, 'mac-address');
      if (mac && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) throw invalidArgument(`invalid argument "${mac}" for "--mac-address" flag: ${mac} is not a valid mac address`);
      const ip = str(o, 'ip');
      if (ip && name === 'bridge') throw invalidArgument('user specified IP address is supported on user defined networks only');
      const net: ContainerNetworkSpec = {
        networks: [{ name, aliases, ...(ip ? { ip } : {}), ...(mac ? { mac: mac.toLowerCase() } : {}) }],
        portBindings: bindings,
      };
      return { network: 'none', mode: given === '' ? 'default' : given, net, bindings };
    }
  }
}

function securityOptions(values: string[]): Pick<RunOptions, 'noNewPrivileges' | 'seccomp'> {
  const out: Pick<RunOptions, 'noNewPrivileges' | 'seccomp'> = {};
  for (const v of values) {
    const [key, value] = v.includes('=') ? [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] : v.includes(':') ? [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)] : [v, ''];
    if (key === 'no-new-privileges') {
      if (!['', 'true', 'false'].includes(value)) throw invalidArgument(`invalid --security-opt 2: "${v}"`);
      out.noNewPrivileges = value !== 'false';
    } else if (key === 'seccomp') {
      if (value === 'unconfined') out.seccomp = 'unconfined';
      else if (value === '' || value === 'builtin' || value === 'default') out.seccomp = 'default';
      else {
        try {
          out.seccomp = JSON.parse(readFileSync(value, 'utf8')) as RunOptions['seccomp'];
        } catch (err) {
          throw invalidArgument(`opening seccomp profile (${value}) failed: ${(err as Error).message}`);
        }
      }
    } else if (key === 'label' || key === 'apparmor' || key === 'systempaths') {
      // SELinux/AppArmor labels don't apply here; recorded only.
    } else {
      throw invalidArgument(`invalid --security-opt 1: "${v}"`);
    }
  }
  return out;
}

/** The mounts of `-v`, `--mount` and `--tmpfs`, parsed with docker's rules. */
function mountRequests(o: Options): { volumes: MountRequest[]; mounts: MountRequest[]; tmpfs: MountRequest[] } {
  const cwd = process.cwd();
  const volumes = list(o, 'volume').map((v) => {
    try {
      return parseVolumeFlag(v, cwd);
    } catch (err) {
      if (isStrataError(err) && /includes invalid characters/.test(err.message)) throw invalidArgument(`create ${v.split(':')[0]}: ${err.message}`);
      throw err;
    }
  });
  const mounts = list(o, 'mount').map((v) => {
    try {
      return parseMountFlag(v, cwd, existsSync);
    } catch (err) {
      if (isStrataError(err)) throw invalidArgument(`invalid argument "${v}" for "--mount" flag: ${err.message}`, err.hint !== undefined ? { hint: err.hint } : {});
      throw err;
    }
  });
  return { volumes, mounts, tmpfs: list(o, 'tmpfs').map(parseTmpfsFlag) };
}

/** The BindOptions docker/cli sends for `bind-recursive=` (none for `enabled`). */
function bindOptionsRecord(m: BindRequest): { BindOptions?: Record<string, boolean> } {
  const options = {
    ...(m.nonRecursive ? { NonRecursive: true } : {}),
    ...(m.readOnlyNonRecursive ? { ReadOnlyNonRecursive: true } : {}),
    ...(m.readOnlyForceRecursive ? { ReadOnlyForceRecursive: true } : {}),
  };
  return Object.keys(options).length > 0 ? { BindOptions: options } : {};
}

/** The HostConfig.Mounts docker records for `--mount` values. */
function mountRecords(reqs: MountRequest[]): Array<Record<string, unknown>> {
  return reqs.map((m) => {
    if (m.type === 'bind') return { Type: 'bind', Source: m.source, Target: m.target, ...(m.readOnly ? { ReadOnly: true } : {}), ...bindOptionsRecord(m) };
    if (m.type === 'volume') return { Type: 'volume', ...(m.name ? { Source: m.name } : {}), Target: m.target, ...(m.readOnly ? { ReadOnly: true } : {}) };
    return { Type: 'tmpfs', Target: m.target };
  });
}

/**
 * Everything `create` and `run` share: flags checked and turned into a create request,
 * and the image found (pulled when missing, as docker does).
 */
async function createRequest(ctx: CliContext, engine: Engine, args: string[], o: Options, detach: boolean): Promise<CreateRequest> {
  const [imageArg, ...command] = args as [string, ...string[]];
  const restart = str(o, 'restart') ?? 'no';
  if (restart !== 'no' && restart !== '') {
    throw unimplemented(`--restart ${restart}: strata has no daemon to restart containers`, { hint: 'use --restart no (the default), or a service manager such as systemd' });
  }
  const logDriver = str(o, 'log-driver');
  if (logDriver !== undefined && logDriver !== 'json-file' && logDriver !== 'none') throw unimplemented(`logging driver "${logDriver}": strata keeps docker's json-file log only`);
  const attachList = list(o, 'attach');
  if (detach && attachList.length > 0) throw invalidArgument('Conflicting options: -a and -d');
  for (const a of attachList) if (!['stdin', 'stdout', 'stderr'].includes(a.toLowerCase())) throw invalidArgument(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
  const tty = Boolean(o['tty']);
  const interactive = Boolean(o['interactive']);
  if (tty && interactive && !detach && !process.stdin.isTTY) throw invalidArgument('the input device is not a TTY');
  const stopSignal = str(o, 'stop-signal');
  if (stopSignal !== undefined) parseSignal(stopSignal);
  const envFiles = list(o, 'env-file').map((name) => {
    try {
      return { name, content: readFileSync(name) };
    } catch (err) {
      throw fromSystemError(err, `open ${name}`);
    }
  });
  const env = collectRunEnv({ envFiles, env: list(o, 'env') });
  const labels = { ...readLabelFiles(list(o, 'label-file')), ...keyValues(list(o, 'label'), 'label') };
  const manager = await engine.containers();
  const { network, mode, net, netContainer, bindings } = networkOf(o, manager.networking.store, manager);
  const parsedMounts = mountRequests(o);
  const mounts = [...parsedMounts.volumes, ...parsedMounts.mounts, ...parsedMounts.tmpfs];
  const cpus = str(o, 'cpus');
  const workdir = str(o, 'workdir');
  const entrypoint = str(o, 'entrypoint');
  const run: Omit<RunOptions, 'id' | 'mounts'> = {
    ...(command.length > 0 ? { command } : {}),
    ...(entrypoint !== undefined ? { entrypoint } : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(str(o, 'user') !== undefined ? { user: str(o, 'user') as string } : {}),
    ...(list(o, 'group-add').length > 0 ? { groupAdd: list(o, 'group-add') } : {}),
    ...(workdir !== undefined && workdir !== '' ? { workdir } : {}),
    ...(str(o, 'hostname') ? { hostname: str(o, 'hostname') as string } : {}),
    ...(str(o, 'domainname') ? { domainname: str(o, 'domainname') as string } : {}),
    tty,
    network,
    ...(list(o, 'add-host').length > 0 ? { extraHosts: list(o, 'add-host').map(parseHost) } : {}),
    ...(list(o, 'dns').length > 0 ? { dns: list(o, 'dns') } : {}),
    ...(list(o, 'dns-search').length > 0 ? { dnsSearch: list(o, 'dns-search') } : {}),
    ...(list(o, 'dns-option').length > 0 ? { dnsOptions: list(o, 'dns-option') } : {}),
    ...(o['init'] ? { init: true } : {}),
    ...(o['privileged'] ? { privileged: true } : {}),
    ...(list(o, 'cap-add').length > 0 ? { capAdd: list(o, 'cap-add') } : {}),
    ...(list(o, 'cap-drop').length > 0 ? { capDrop: list(o, 'cap-drop') } : {}),
    ...(o['read-only'] ? { readOnly: true } : {}),
    ...securityOptions(list(o, 'security-opt')),
    ...(sizeFlag(o, 'shm-size') !== undefined ? { shmSize: sizeFlag(o, 'shm-size') as number } : {}),
    ...(sizeFlag(o, 'memory') !== undefined ? { memory: sizeFlag(o, 'memory') as number } : {}),
    ...(sizeFlag(o, 'memory-swap') !== undefined ? { memorySwap: sizeFlag(o, 'memory-swap') as number } : {}),
    ...(sizeFlag(o, 'memory-reservation') !== undefined ? { memoryReservation: sizeFlag(o, 'memory-reservation') as number } : {}),
    ...(cpus !== undefined ? { nanoCpus: parseNanoCpus(cpus) } : {}),
    ...(int(o, 'cpu-shares') !== undefined ? { cpuShares: int(o, 'cpu-shares') as number } : {}),
    ...(int(o, 'cpu-period') !== undefined ? { cpuPeriod: int(o, 'cpu-period') as number } : {}),
    ...(int(o, 'cpu-quota') !== undefined ? { cpuQuota: int(o, 'cpu-quota') as number } : {}),
    ...(str(o, 'cpuset-cpus') ? { cpusetCpus: str(o, 'cpuset-cpus') as string } : {}),
    ...(str(o, 'cpuset-mems') ? { cpusetMems: str(o, 'cpuset-mems') as string } : {}),
    ...(int(o, 'pids-limit') !== undefined ? { pidsLimit: int(o, 'pids-limit') as number } : {}),
    ...(list(o, 'ulimit').length > 0 ? { ulimits: ulimitsByName(list(o, 'ulimit').map(ulimitFlag)) } : {}),
    ...(int(o, 'oom-score-adj') !== undefined ? { oomScoreAdj: int(o, 'oom-score-adj') as number } : {}),
    ...(o['oom-kill-disable'] ? { oomKillDisable: true } : {}),
    ...(list(o, 'sysctl').length > 0 ? { sysctls: keyValues(list(o, 'sysctl'), 'sysctl') } : {}),
    ...(list(o, 'device-cgroup-rule').length > 0 ? { deviceCgroupRules: list(o, 'device-cgroup-rule') } : {}),
    ...(list(o, 'annotation').length > 0 ? { annotations: keyValues(list(o, 'annotation'), 'annotation') } : {}),
    ...(str(o, 'cgroup-parent') ? { cgroupParent: str(o, 'cgroup-parent') as string } : {}),
  };
  const tmpfs = list(o, 'tmpfs');
  const host: HostSettings = {
    Binds: list(o, 'volume').length > 0 ? list(o, 'volume') : null,
    AutoRemove: Boolean(o['rm']),
    NetworkMode: mode,
    Runtime: str(o, 'runtime') ?? 'runc',
    ...(tmpfs.length > 0 ? { Tmpfs: Object.fromEntries(tmpfs.map((t) => [t.split(':')[0] as string, t.includes(':') ? t.slice(t.indexOf(':') + 1) : ''])) } : {}),
    ...(parsedMounts.mounts.length > 0 ? { Mounts: mountRecords(parsedMounts.mounts) } : {}),
    SecurityOpt: list(o, 'security-opt').length > 0 ? list(o, 'security-opt') : null,
    ConsoleSize: tty && process.stdout.isTTY ? [process.stdout.rows ?? 0, process.stdout.columns ?? 0] : [0, 0],
    PortBindings: bindings,
    PublishAllPorts: o['publish-all'] === true,
  };
  const imageId = await resolveImage(ctx, engine, imageArg, str(o, 'pull') ?? 'missing', Boolean(o['quiet']));
  const stopTimeout = int(o, 'stop-timeout');
  return {
    imageRef: imageArg, imageId, run, mounts, host,
    ...(str(o, 'name') !== undefined ? { name: str(o, 'name') as string } : {}),
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
    ...(stopSignal !== undefined ? { stopSignal } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout } : {}),
    ...(interactive ? { openStdin: true } : {}),
    ...(!detach ? { attach: true } : {}),
    ...(net ? { net } : {}),
    ...(netContainer ? { netContainer } : {}),
    ...(o['publish-all'] === true ? { publishAll: true } : {}),
  };
}

function parseHost(value: string): { name: string; ip: string } {
  const i = value.indexOf(':');
  const eq = value.indexOf('=');
  const at = eq >= 0 && (i < 0 || eq < i) ? eq : i;
  if (at <= 0) throw invalidArgument(`invalid argument "${value}" for "--add-host" flag: bad format for add-host: "${value}"`);
  return { name: value.slice(0, at), ip: value.slice(at + 1).replace(/^\[|\]$/g, '') };
}

/** The image to run: found locally, or pulled as docker does (`Unable to find image … locally`). */
async function resolveImage(ctx: CliContext, engine: Engine, ref: string, pull: string, quiet: boolean): Promise<Digest> {
  if (!['missing', 'always', 'never'].includes(pull)) throw invalidArgument(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  const local = pull === 'always' ? undefined : engine.images.lookup(ref);
  if (local !== undefined) return local;
  let named;
  try {
    named = withDefaultTag(parseReference(ref));
  } catch {
    throw notFound(`No such image: ${ref}`);
  }
  if (pull === 'never') throw notFound(`No such image: ${ref}`);
  if (pull === 'missing') ctx.warn(`Unable to find image '${familiar(named)}' locally`);
  const { pull: pullCommand } = await import('./registry.ts');
  const errCtx = new CliContext(ctx.globals, ctx.commandName, process.stderr, process.stderr);
  try {
    await pullCommand(errCtx, [formatReference(named)], { quiet, 'all-tags': false, 'max-concurrent-downloads': 3 });
  } finally {
    errCtx.close();
  }
  return engine.images.resolve(formatReference(named));
}

function familiar(ref: ReturnType<typeof parseReference>): string {
  const full = formatReference(ref);
  return full.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

async function manager(ctx: CliContext): Promise<{ engine: Engine; containers: ContainerManager }> {
  const engine = await ctx.engine();
  return { engine, containers: await engine.containers() };
}

function consoleSize(): { height: number; width: number } | undefined {
  return process.stdout.isTTY ? { height: process.stdout.rows ?? 24, width: process.stdout.columns ?? 80 } : undefined;
}

/** Prints a start failure as docker does and returns its exit status (125, 126 or 127). */
function startFailed(ctx: CliContext, err: unknown): number {
  if (err instanceof ContainerStartError) {
    ctx.warn(`Error: ${err.message}`);
    return err.exitStatus;
  }
  throw err;
}

export async function create(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const { engine, containers } = await manager(ctx);
  const request = await createRequest(ctx, engine, args, options, true);
  const c = await containers.create({ ...request, attach: false });
  writeCidFile(options, c.id);
  ctx.println(c.id);
}

function writeCidFile(options: Options, id: string): void {
  const file = str(options, 'cidfile');
  if (!file) return;
  try {
    writeFileSync(file, id, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw invalidArgument(`container ID file found, make sure the other container isn't running or delete ${file}`);
    throw fromSystemError(err, `write ${file}`);
  }
}

/** Waits for an attached container and cleans up after it; returns its exit status. */
async function attached(containers: ContainerManager, c: Container, started: { wait(): Promise<{ exitCode: number }> }): Promise<number> {
  let code: number;
  try {
    code = (await started.wait()).exitCode;
    traceMark('exit: supervisor reports the exit');
  } finally {
    await containers.afterExit(c);
  }
  return code;
}

export async function run(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const detach = Boolean(options['detach']);
  const { engine, containers } = await manager(ctx);
  traceMark('run: store open');
  const request = await createRequest(ctx, engine, args, options, detach);
  const c = await containers.create(request);
  writeCidFile(options, c.id);
  const interactive = Boolean(options['interactive']);
  let started;
  try {
    const size = consoleSize();
    const removeCommand = removeCommandFor(ctx, c.id);
    started = await containers.start(c, detach
      ? { removeCommand }
      : { attach: true, removeCommand, stdin: interactive, sigProxy: options['sig-proxy'] !== false, ...(size && options['tty'] ? { consoleSize: size } : {}) });
  } catch (err) {
    // A container that can't join its network (a taken port) is not left behind, half-made.
    if (request.host.AutoRemove || isNetworkAttachError(err)) await containers.remove(c, { force: true, volumes: true }).catch(() => undefined);
    return startFailed(ctx, err);
  }
  if (detach || started === undefined) {
    ctx.println(c.id);
    return 0;
  }
  return attached(containers, c, started);
}

export async function start(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const { containers } = await manager(ctx);
  const attach = Boolean(options['attach']) || Boolean(options['interactive']);
  if (attach && args.length > 1) throw invalidArgument('you cannot start and attach multiple containers at once');
  const failed: string[] = [];
  for (const ref of args) {
    let c: Container;
    try {
      c = containers.find(ref);
    } catch (err) {
      if (!isStrataError(err)) throw err;
      ctx.warn(`Error: ${err.message}`);
      failed.push(ref);
      continue;
    }
    if (attach) {
      const status = await containers.status(c);
      if (status.Running) throw unimplemented(`container ${ref} is running: attaching to a running container is not supported`);
      let started;
      try {
        started = await containers.start(c, { attach: true, stdin: Boolean(options['interactive']) });
      } catch (err) {
        return startFailed(ctx, err);
      }
      if (started === undefined) return 0;
      return attached(containers, c, started);
    }
    try {
      await containers.start(c, { removeCommand: removeCommandFor(ctx, c.id) });
      ctx.println(ref);
    } catch (err) {
      if (err instanceof ContainerStartError || isStrataError(err)) {
        ctx.warn(`Error: ${(err as StrataError).message}`);
        failed.push(ref);
        continue;
      }
      throw err;
    }
  }
  if (failed.length > 0) {
    ctx.warn(`Error: failed to start containers: ${failed.join(', ')}`);
    return 1;
  }
  return 0;
}

export async function exec(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const [ref, ...cmd] = args as [string, ...string[]];
  const { containers } = await manager(ctx);
  const c = containers.find(ref);
  const tty = Boolean(options['tty']);
  const interactive = Boolean(options['interactive']);
  if (tty && interactive && !process.stdin.isTTY) throw invalidArgument('the input device is not a TTY');
  const envFiles = list(options, 'env-file').map((name) => {
    try {
      return { name, content: readFileSync(name) };
    } catch (err) {
      throw fromSystemError(err, `open ${name}`);
    }
  });
  const env = collectRunEnv({ envFiles, env: list(options, 'env') });
  const size = consoleSize();
  let started;
  try {
    started = await containers.exec(c, ref, {
      cmd, env, tty,
      ...(str(options, 'user') ? { user: str(options, 'user') as string } : {}),
      ...(str(options, 'workdir') ? { workdir: str(options, 'workdir') as string } : {}),
      ...(options['privileged'] ? { privileged: true } : {}),
      ...(tty && size ? { consoleSize: size } : {}),
      ...(options['detach'] ? { detach: true } : {}),
      ...(interactive ? { stdin: true } : {}),
    });
  } catch (err) {
    if (err instanceof ContainerStartError) {
      ctx.warn(err.message);
      return err.exitStatus;
    }
    throw err;
  }
  if (options['detach']) return 0;
  return (await started.wait()).exitCode;
}
