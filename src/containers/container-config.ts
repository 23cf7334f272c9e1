/**
 * What a container record holds (the `config` JSON of its row): the image's run defaults
 * as they were at create (so the container runs the same after its image is removed), the
 * run options the runtime needs at every start, its resolved mounts, and docker's `Config`
 * and `HostConfig` views as `inspect` shows them.
 */
import { hostname as osHostname } from 'node:os';
import { invalidArgument } from '../errdefs/index.ts';
import type { ContainerNetworkSpec, PortBindings } from '../network/index.ts';
import { containerWorkdir, mergeImageEnv, resolveCommand, type ImageRunConfig, type RunOptions } from '../runtime/index.ts';

/** A mount as `inspect` shows it (docker's MountPoint), plus what strata needs to set it up. */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** The volume's name (volumes only). */
  Name?: string;
  /** Host path ('' for tmpfs). */
  Source: string;
  Destination: string;
  /** 'local' for volumes. */
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** tmpfs data (`size=64m,mode=1777`). */
  tmpfsData?: string;
  /** bind: `bind` instead of `rbind`. */
  nonRecursive?: boolean;
  /** bind: read-only at the top only (`bind-recursive=writable`). */
  readOnlyNonRecursive?: boolean;
  /** bind: recursively read-only or an error (`bind-recursive=readonly`). */
  readOnlyForceRecursive?: boolean;
  /** volume: don't fill it from the image. */
  noCopy?: boolean;
  /** volume: a path inside it to mount instead of its root. */
  subpath?: string;
}

/** docker's container `Config`, as inspect prints it (docker 20.10's field order). */
export interface DockerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: unknown;
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

/** The HostConfig settings strata records (inspect fills in docker's defaults for the rest). */
export interface HostSettings {
  /** `-v` values as given. */
  Binds: string[] | null;
  AutoRemove: boolean;
  /** `--network` as given (`default` when absent, as docker/cli sends it). */
  NetworkMode: string;
  /** `--runtime` (default `runc`). */
  Runtime: string;
  /** `--tmpfs` as a map target → options. */
  Tmpfs?: Record<string, string>;
  /** `--mount` values, as docker's mount.Mount records. */
  Mounts?: Array<Record<string, unknown>>;
  /** `--security-opt` values as given. */
  SecurityOpt: string[] | null;
  ConsoleSize: [number, number];
  /** `-p`, as docker's HostConfig.PortBindings. */
  PortBindings?: PortBindings;
  /** `-P`. */
  PublishAllPorts?: boolean;
}

/** The record's JSON document. */
export interface StoredContainer {
  version: 1;
  /** The image as the user named it (`Config.Image`). */
  imageRef: string;
  /** The image's config defaults at create. */
  image: ImageRunConfig;
  /** Everything but the ID and mounts, which are per start. */
  run: Omit<RunOptions, 'id' | 'mounts'>;
  mounts: MountPoint[];
  /** docker's Path and Args. */
  path: string;
  args: string[];
  config: DockerConfig;
  host: HostSettings;
  /** The storage driver holding its layer. */
  driver: string;
  /** Volume destinations to fill from the image at the first start (docker copies into new, empty volumes). */
  copyPending: string[];
  /** The bridge networks it joins at each start (absent: `none`, `host` or `container:`). */
  net?: ContainerNetworkSpec;
  /** `--network container:ID`: the container whose network namespace it joins (its ID). */
  netContainer?: string;
}

export interface ConfigInput {
  id: string;
  imageRef: string;
  image: ImageRunConfig;
  run: Omit<RunOptions, 'id' | 'mounts'>;
  mounts: MountPoint[];
  labels?: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
  openStdin?: boolean;
  /** Foreground (`run` without `-d`): docker attaches stdout and stderr (and stdin with `-i`). */
  attach?: boolean;
  host: HostSettings;
  driver: string;
  copyPending?: string[];
  net?: ContainerNetworkSpec;
  netContainer?: string;
}

/**
 * Builds the stored document, computing docker's Config the way the daemon does at create
 * (command by ENTRYPOINT/CMD rules, env merged over the image's, labels over the image's).
 * @throws invalid-argument `no command specified`, a relative `-w`.
 */
export function buildStoredContainer(input: ConfigInput): StoredContainer {
  const { image, run } = input;
  const command = resolveCommand(image, run);
  containerWorkdir({ ...run, id: input.id }, image);
  const hostname = run.hostname || (run.network === 'host' ? osHostname() : input.id.slice(0, 12));
  const volumes: Record<string, Record<string, never>> = {};
  for (const v of Object.keys(image.Volumes ?? {})) volumes[v] = {};
  for (const m of input.mounts) if (m.Type === 'volume' && m.Name !== undefined && isAnonymousName(m.Name) && !(m.Destination in volumes)) volumes[m.Destination] = {};
  const attach = input.attach === true;
  const config: DockerConfig = {
    Hostname: hostname,
    Domainname: run.domainname ?? '',
    User: run.user ?? image.User ?? '',
    AttachStdin: attach && input.openStdin === true,
    AttachStdout: attach,
    AttachStderr: attach,
    ...(image.ExposedPorts ? { ExposedPorts: image.ExposedPorts as Record<string, Record<string, never>> } : {}),
    Tty: run.tty === true,
    OpenStdin: input.openStdin === true,
    StdinOnce: attach && input.openStdin === true,
    Env: mergeImageEnv(image.Env, run.env),
    Cmd: command.cmd,
    ...(image.Healthcheck ? { Healthcheck: image.Healthcheck } : {}),
    Image: input.imageRef,
    Volumes: Object.keys(volumes).length > 0 ? volumes : null,
    WorkingDir: run.workdir ?? image.WorkingDir ?? '',
    Entrypoint: command.entrypoint,
    OnBuild: null,
    // Go prints and marshals maps with their keys sorted.
    Labels: Object.fromEntries(Object.entries({ ...(image.Labels ?? {}), ...(input.labels ?? {}) }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  const stopSignal = input.stopSignal ?? image.StopSignal ?? undefined;
  if (stopSignal) config.StopSignal = stopSignal;
  if (input.stopTimeout !== undefined) {
    if (!Number.isInteger(input.stopTimeout)) throw invalidArgument(`invalid stop timeout ${input.stopTimeout}`);
    config.StopTimeout = input.stopTimeout;
  }
  return {
    version: 1,
    imageRef: input.imageRef,
    image,
    run,
    mounts: input.mounts,
    path: command.path,
    args: command.args,
    config,
    host: input.host,
    driver: input.driver,
    copyPending: input.copyPending ?? [],
    ...(input.net ? { net: input.net } : {}),
    ...(input.netContainer ? { netContainer: input.netContainer } : {}),
  };
}

/** Anonymous volumes get 64-hex names, as docker's. */
export function isAnonymousName(name: string): boolean {
  return /^[0-9a-f]{64}$/.test(name);
}

/**
 * docker's list `Command`: Path, then each argument, single-quoted when it holds a space
 * (`sh -c 'echo hi'`).
 */
export function commandLine(stored: Pick<StoredContainer, 'path' | 'args'>): string {
  if (stored.args.length === 0) return stored.path;
  return `${stored.path} ${stored.args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

/** Parses a record's JSON. */
export function parseStoredContainer(json: string): StoredContainer {
  return JSON.parse(json) as StoredContainer;
}
