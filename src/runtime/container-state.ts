/**
 * The state file a container's supervisor keeps in the container directory, and
 * `reconcile`, which tells the truth about a container from that file, whether its
 * supervisor still lives, and the OCI runtime's own state — after any crash.
 *
 * Lifecycle written by the shim: `starting` (the shim owns the start) → `running`
 * (runc start succeeded; `pid` is the container's init) → `exited` (exit code, finish
 * time, OOM kill recorded; runtime state deleted). A start that fails ends in `created`
 * with `error` and docker's exit code (126/127/128), as docker leaves such a container.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { dataLoss, errnoOf, fromSystemError, isStrataError } from '../errdefs/index.ts';
import { crashPoint, writeFileAtomic } from '../internal/index.ts';
import type { OciRuntime } from './runc.ts';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerState {
  status: 'starting' | 'running' | 'exited' | 'created';
  /** The container's init process on the host while running, else 0. */
  pid: number;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  oomKilled: boolean;
  /** Why the start failed (runc's words), or ''. */
  error: string;
  /** The supervisor that owns the container, and its start time in clock ticks (to spot PID reuse). */
  shimPid: number;
  shimStartTime: number;
}

/** Where a container's runtime files live inside its directory. */
export function containerFiles(containerDir: string, id: string): { state: string; log: string; pidFile: string; runtimeLog: string } {
  return {
    state: join(containerDir, 'state.json'),
    log: join(containerDir, `${id}-json.log`),
    pidFile: join(containerDir, 'init.pid'),
    runtimeLog: join(containerDir, 'runtime.log'),
  };
}

/**
 * Reads a state file; undefined when there is none (the container never started).
 * @throws data-loss when it exists but can't be parsed.
 */
export function readContainerState(path: string): ContainerState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw fromSystemError(err, `read container state ${path}`);
  }
  try {
    const s = JSON.parse(text) as ContainerState;
    if (typeof s.status !== 'string' || typeof s.exitCode !== 'number') throw new Error('missing fields');
    return s;
  } catch (err) {
    throw dataLoss(`container state ${path} is corrupt: ${(err as Error).message}`, { cause: err });
  }
}

export function writeContainerState(path: string, state: ContainerState): void {
  // Not fsynced, as the bundle: written again at every start, and on the path of every `run`.
  writeFileAtomic(path, JSON.stringify(state) + '\n', { durable: false });
  crashPoint('container-state-write');
}

/** A process's start time in clock ticks (field 22 of /proc/<pid>/stat), or undefined if it's gone. */
export function processStartTime(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); a zombie has exited already
  if (fields[0] === 'Z') return undefined;
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : undefined;
}

/** Whether the supervisor recorded in the state is still that same process. */
export function supervisorAlive(state: Pick<ContainerState, 'shimPid' | 'shimStartTime'>): boolean {
  return state.shimPid > 0 && processStartTime(state.shimPid) === state.shimStartTime;
}

export interface ReconciledState extends ContainerState {
  /** A supervisor is keeping the container's logs and will record its exit. */
  supervised: boolean;
  /** The runtime reports it frozen (`pause`). */
  paused: boolean;
}

function nowRfc3339Nano(): string {
  const ms = Date.now();
  const iso = new Date(ms).toISOString(); // …sss Z
  return iso.replace(/\.(\d{3})Z$/, (_, frac: string) => (frac === '000' ? 'Z' : `.${frac.replace(/0+$/, '')}Z`));
}

/**
 * The truth about a container after anything (a `kill -9` of the CLI or the supervisor, a
 * reboot): combines the state file, whether its supervisor lives, and `runc state`. It
 * rewrites the state file when that was stale and deletes leftover runtime state of a
 * container that no longer runs. Never touches a container a live supervisor is starting.
 *
 * - no state file, nothing in the runtime: never started (`created`);
 * - `starting`/`running` with a live supervisor: as written;
 * - supervisor gone, container still running: `running`, unsupervised (no more logs; its
 *   exit will be found by the next reconcile);
 * - supervisor gone, container gone: `exited` with code 255 and an error saying the exit
 *   status was lost (docker records 255 for containers that died while it was down);
 * - supervisor gone during a start: runtime state removed, `created`.
 */
export async function reconcile(containerDir: string, id: string, runtime: OciRuntime): Promise<ReconciledState> {
  const files = containerFiles(containerDir, id);
  const state = readContainerState(files.state);
  const alive = state !== undefined && supervisorAlive(state);
  const rt = alive && state.status !== 'running' ? undefined : await runtime.state(id);
  const base: ContainerState = state ?? {
    status: 'created', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, oomKilled: false, error: '', shimPid: 0, shimStartTime: 0,
  };
  const result = (s: ContainerState, supervised: boolean, paused = false): ReconciledState => ({ ...s, supervised, paused });

  if (alive && (base.status === 'starting' || base.status === 'running')) {
    return result(base, true, rt?.status === 'paused');
  }
  const runningNow = rt !== undefined && (rt.status === 'running' || rt.status === 'paused');
  if (base.status === 'exited' || (base.status === 'created' && state !== undefined)) {
    // Final states: only sweep what a dead supervisor may have left in the runtime.
    if (rt !== undefined && !runningNow) await runtime.delete(id, { force: true });
    return result(base, false);
  }
  if (runningNow) {
    const s: ContainerState = { ...base, status: 'running', pid: rt.pid, startedAt: base.startedAt === ZERO_TIME ? (rt.created ?? ZERO_TIME) : base.startedAt };
    if (state === undefined || state.status !== 'running' || state.pid !== rt.pid) writeContainerState(files.state, s);
    return result(s, false, rt.status === 'paused');
  }
  if (rt !== undefined) await runtime.delete(id, { force: true });
  if (base.status === 'running') {
    const s: ContainerState = {
      ...base, status: 'exited', pid: 0, exitCode: 255, finishedAt: nowRfc3339Nano(),
      error: 'the container exited while its supervisor was gone; its exit status is unknown',
    };
    writeContainerState(files.state, s);
    return result(s, false);
  }
  // Never started, or a start interrupted before the container ran: nothing is left.
  const s: ContainerState = { ...base, status: 'created', pid: 0 };
  if (state !== undefined) writeContainerState(files.state, s);
  return result(s, false);
}

/**
 * Resolves with the container's final state once it has exited (docker's `wait`): watches
 * the state file its supervisor rewrites, and falls back to `reconcile` when no
 * supervisor is left to write it. Resolves at once for a container that isn't running.
 * @returns undefined when `timeoutMs` passes first.
 */
export async function waitForExit(containerDir: string, id: string, runtime: OciRuntime, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ContainerState | undefined> {
  const files = containerFiles(containerDir, id);
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(containerDir, () => wake?.());
  } catch { /* polling alone will do */ }
  try {
    for (;;) {
      const state = readContainerState(files.state);
      if (state === undefined || state.status === 'exited' || state.status === 'created') return state ?? (await reconcile(containerDir, id, runtime));
      if (!supervisorAlive(state)) {
        const truth = await reconcile(containerDir, id, runtime);
        if (truth.status === 'exited' || truth.status === 'created') return truth;
      }
      if (options.signal?.aborted || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(200, Math.max(0, deadline - Date.now())));
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
  }
}

/**
 * docker's `stop`: the stop signal (the container's `--stop-signal`, the image's
 * STOPSIGNAL, else SIGTERM), then SIGKILL after `timeoutSec` (default 10; -1 waits
 * forever), then the recorded exit. A container that already stopped is left as it is.
 */
export async function stopContainer(containerDir: string, id: string, runtime: OciRuntime, options: { signal?: string; timeoutSec?: number } = {}): Promise<ContainerState | undefined> {
  const signal = options.signal || 'SIGTERM';
  const timeoutSec = options.timeoutSec ?? 10;
  const ignoreGone = (err: unknown): void => {
    if (!isStrataError(err, 'not-found') && !isStrataError(err, 'failed-precondition')) throw err;
  };
  await runtime.kill(id, signal).catch(ignoreGone);
  const soft = await waitForExit(containerDir, id, runtime, timeoutSec < 0 ? {} : { timeoutMs: timeoutSec * 1000 });
  if (soft !== undefined) return soft;
  await runtime.kill(id, 'SIGKILL').catch(ignoreGone);
  return waitForExit(containerDir, id, runtime, { timeoutMs: 30_000 });
}
