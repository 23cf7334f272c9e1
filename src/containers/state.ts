/**
 * What a container is doing now, as docker's State shows it, from its supervisor's state
 * file, whether that supervisor lives, the OCI runtime, and the record's work lock.
 *
 * Reading is cheap on the common paths: a container whose state file records a final
 * state and whose supervisor is gone needs no runtime call, nor does a supervised running
 * one (paused is read from its freezer cgroup). Anything else goes through `reconcile`,
 * which asks runc and repairs a stale state file.
 */
import { readFileSync } from 'node:fs';
import {
  cgroupFile, containerFiles, readContainerState, reconcile, supervisorAlive, ZERO_TIME, type HostInfo, type OciRuntime,
  type ReconciledState,
} from '../runtime/index.ts';
import { upFor, exitedAgo } from './time-text.ts';

export type StateName = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** docker's container State (inspect), plus whether a supervisor keeps the container. */
export interface ContainerStatus {
  Status: StateName;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** Not docker's: a supervisor keeps its logs and will record its exit. */
  supervised: boolean;
  /** Not docker's: an `rm` is under way (or crashed: then `Dead`). */
  removing: boolean;
}

function freezerFrozen(host: Pick<HostInfo, 'cgroupVersion'>, cgroupsPath: string): boolean | undefined {
  try {
    if (host.cgroupVersion === 2) return readFileSync(cgroupFile(host, cgroupsPath, '', 'cgroup.freeze'), 'utf8').trim() === '1';
    const text = readFileSync(cgroupFile(host, cgroupsPath, 'freezer', 'freezer.state'), 'utf8').trim();
    return text === 'FROZEN' || text === 'FREEZING';
  } catch {
    return undefined;
  }
}

/**
 * The runtime truth about a container (see `reconcile`), taking the fast paths above.
 * @throws data-loss when its state file is corrupt.
 */
export async function observe(
  containerDir: string,
  id: string,
  runtime: OciRuntime,
  host: Pick<HostInfo, 'cgroupVersion'>,
  cgroupsPath: string,
): Promise<ReconciledState> {
  const state = readContainerState(containerFiles(containerDir, id).state);
  if (state === undefined) {
    return { status: 'created', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, oomKilled: false, error: '', shimPid: 0, shimStartTime: 0, supervised: false, paused: false };
  }
  // A recorded exit is final: the supervisor may still be deleting the runtime's state (or
  // running its exit hook), which needs nobody's help.
  if (state.status === 'exited' || (state.status === 'created' && state.error !== '')) return { ...state, supervised: false, paused: false };
  const alive = supervisorAlive(state);
  if (!alive && state.status === 'created') return { ...state, supervised: false, paused: false };
  if (alive && state.status === 'running') {
    const frozen = freezerFrozen(host, cgroupsPath);
    if (frozen !== undefined) return { ...state, supervised: true, paused: frozen };
  }
  return reconcile(containerDir, id, runtime);
}

/**
 * A synchronous estimate for callers that can't wait for the runtime (`system df`, `rmi`'s
 * conflict check): the state file and whether its supervisor lives. A container whose
 * supervisor died while it ran shows as exited here; `observe` tells the truth.
 */
export function observeSync(containerDir: string, id: string, host: Pick<HostInfo, 'cgroupVersion'>, cgroupsPath: string): ReconciledState {
  let state;
  try {
    state = readContainerState(containerFiles(containerDir, id).state);
  } catch {
    state = undefined;
  }
  if (state === undefined) {
    return { status: 'created', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, oomKilled: false, error: '', shimPid: 0, shimStartTime: 0, supervised: false, paused: false };
  }
  const alive = supervisorAlive(state);
  if (alive && (state.status === 'running' || state.status === 'starting')) {
    return { ...state, supervised: true, paused: freezerFrozen(host, cgroupsPath) === true };
  }
  return { ...state, status: state.status === 'created' ? 'created' : 'exited', supervised: false, paused: false };
}

/** docker's State from the runtime truth and the record's removal mark. */
export function toStatus(rt: ReconciledState, removal: 'none' | 'in-progress' | 'crashed'): ContainerStatus {
  const running = rt.status === 'running' || rt.status === 'starting';
  let status: StateName;
  if (running) status = rt.paused ? 'paused' : 'running';
  else if (removal === 'in-progress') status = 'removing';
  else if (removal === 'crashed') status = 'dead';
  else if (rt.startedAt === ZERO_TIME || rt.status === 'created') status = 'created';
  else status = 'exited';
  return {
    Status: status,
    Running: running,
    Paused: running && rt.paused,
    Restarting: false,
    OOMKilled: rt.oomKilled,
    Dead: status === 'dead',
    Pid: running ? rt.pid : 0,
    ExitCode: rt.exitCode,
    Error: rt.error,
    StartedAt: rt.startedAt,
    FinishedAt: rt.finishedAt,
    supervised: rt.supervised,
    removing: removal !== 'none',
  };
}

/** docker ps's STATUS column (moby's State.String). */
export function statusText(s: ContainerStatus, now = Date.now()): string {
  if (s.Running) {
    const up = upFor(Date.parse(s.StartedAt), now);
    return s.Paused ? `${up} (Paused)` : up;
  }
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (s.Status === 'created') return 'Created';
  if (s.FinishedAt === ZERO_TIME) return '';
  return exitedAgo(s.ExitCode, Date.parse(s.FinishedAt), now);
}
