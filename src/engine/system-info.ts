/**
 * What `version` and `info` report, as data: the CLI prints it, the Engine API serves it as
 * docker's /version and /info JSON. One implementation for both front ends.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arch, cpus, release, totalmem, type as osType } from 'node:os';
import { StrataError } from '../errdefs/index.ts';
import type { RuncVersion } from '../runtime/index.ts';
import type { Engine } from './engine.ts';

export const STRATA_VERSION = '0.1.0';
/** The Engine API version strata implements: what docker 28.2's CLI speaks. */
export const API_VERSION = '1.50';
/** The oldest API version strata answers, as dockerd's default minimum. */
export const MIN_API_VERSION = '1.24';

/** Go's GOARCH for this machine (`amd64`), as docker's version output names it. */
export function goArch(): string {
  return arch() === 'x64' ? 'amd64' : arch() === 'ia32' ? '386' : arch();
}

/** What `runc --version` says of the runc on PATH; undefined when there is none. */
async function runcOnPath(): Promise<{ binary: string; version: RuncVersion | undefined } | undefined> {
  const { findExecutable, runcVersion } = await import('../runtime/index.ts');
  const binary = findExecutable('runc');
  return binary === undefined ? undefined : { binary, version: runcVersion(binary) };
}

export interface VersionComponent {
  Name: string;
  Version: string;
  Details: Record<string, string>;
}

/** The server half of docker's version JSON (GET /version). */
export interface ServerVersion {
  Platform: { Name: string };
  Components: VersionComponent[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  NodeVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
}

export async function serverVersion(platformName: string): Promise<ServerVersion> {
  // As docker's, the server's parts: the engine, and the runc it starts containers with.
  const runc = (await runcOnPath())?.version;
  const components: VersionComponent[] = [
    { Name: 'Engine', Version: STRATA_VERSION, Details: { ApiVersion: API_VERSION, Arch: goArch(), KernelVersion: release(), MinAPIVersion: MIN_API_VERSION, Os: 'linux' } },
    ...(runc === undefined ? [] : [{ Name: 'runc', Version: runc.version, Details: { GitCommit: runc.commit } }]),
  ];
  return {
    Platform: { Name: platformName },
    Components: components,
    Version: STRATA_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    NodeVersion: process.version,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: release(),
  };
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? osType();
  } catch {
    return osType();
  }
}

/** docker's /info fields that strata has a value for. */
export interface SystemInfo {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DockerRootDir: string;
  KernelVersion: string;
  OperatingSystem: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  ServerVersion: string;
  DefaultRuntime: string;
  RuncCommit: { ID: string };
}

/** The store's counts and the host's facts, with a warning when run would refuse the runc. */
export async function systemInfo(engine: Engine): Promise<{ info: SystemInfo; warning?: string }> {
  const runc = await runcState(engine.root);
  const manager = await engine.containers();
  const states = manager.all().map((c) => manager.statusSync(c).Status);
  const running = states.filter((s) => s === 'running').length;
  const paused = states.filter((s) => s === 'paused').length;
  const info: SystemInfo = {
    ID: '',
    Containers: states.length, ContainersRunning: running, ContainersPaused: paused, ContainersStopped: states.length - running - paused,
    Images: engine.images.records.all().length,
    Driver: engine.snapshotter.driver,
    DockerRootDir: engine.root,
    KernelVersion: release(),
    OperatingSystem: osName(),
    OSType: 'linux',
    Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    NCPU: cpus().length,
    MemTotal: totalmem(),
    ServerVersion: STRATA_VERSION,
    DefaultRuntime: 'runc',
    RuncCommit: { ID: runc.commit },
  };
  return runc.warning === undefined ? { info } : { info, warning: runc.warning };
}

/**
 * The default runc for `info`: its commit (as docker's `runc version:` line shows it), and a
 * warning when run and create would refuse it (runtime/runc-check.ts).
 */
async function runcState(root: string): Promise<{ commit: string; warning?: string }> {
  const found = await runcOnPath();
  if (found === undefined) return { commit: 'N/A', warning: 'runc was not found in PATH: containers cannot run' };
  if (found.version === undefined) return { commit: 'N/A', warning: `${found.binary} does not say which runc it is (runc --version)` };
  const { OciRuntime } = await import('../runtime/index.ts');
  const commit = found.version.commit || found.version.version;
  try {
    OciRuntime.locate({ root: join(root, 'runtime', 'runc') }).requireLeakFix(root);
    return { commit };
  } catch (err) {
    if (!(err instanceof StrataError)) throw err;
    return { commit, warning: `${err.message}; run and create refuse it` };
  }
}
