/**
 * Starting a container under its supervisor (strata-shim, see shim/strata-shim.c).
 *
 * The CLI spawns the shim in a session of its own and waits for one line on a pipe:
 * `started <pid>` or `failed <status> <message>`. Detached (`run -d`), it returns right
 * then and the shim lives on: it keeps the json-file log, records the exit in the state
 * file and deletes the runtime state. In the foreground, the shim also copies the output
 * to the CLI's stdout/stderr (a pty's with `-t`: raw mode, window size, SIGWINCH) and the
 * CLI forwards the signals it receives to it, as docker's `--sig-proxy` does; `wait()`
 * resolves with the recorded exit.
 *
 * A `kill -9` of the CLI at any point leaves either no container or one owned by a live
 * shim; `reconcile` (container-state.ts) tells which. With `killWithLauncher` (a build's
 * RUN step) the shim kills the container instead when the CLI dies.
 */
import type { ChildProcess, StdioNull, StdioPipe } from 'node:child_process';
import { childProcess, crashPoint } from '../internal/index.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { internal } from '../errdefs/index.ts';
import { containerFiles, readContainerState, ZERO_TIME, type ContainerState } from './container-state.ts';
import type { HostInfo } from './host-info.ts';
import type { OciRuntime } from './runc.ts';
import { containerStartError, execStartError } from './runtime-errors.ts';
import type { ExecProcessSpec } from './spec-types.ts';

export interface StartContainerOptions {
  runtime: OciRuntime;
  id: string;
  /** The bundle (config.json) to run. */
  bundleDir: string;
  /** Where state.json, `<id>-json.log`, init.pid and runtime.log go (often the bundle dir). */
  containerDir: string;
  /** The supervisor binary (`ensureShim` / `locateShim`). */
  shim: string;
  /** `-t`: must match the spec's `process.terminal`. */
  tty?: boolean;
  /** `-i`: keep stdin open (foreground: the caller's stdin; detached: held open by the shim). */
  stdin?: boolean;
  /** `-d`: return once started; the supervisor outlives the caller. */
  detach?: boolean;
  /** Foreground stdio (default: the caller's own). 'pipe' gives streams on the result. */
  stdio?: [StdioNull | StdioPipe | number, StdioNull | StdioPipe | number, StdioNull | StdioPipe | number];
  /** `--sig-proxy` (default true): forward the caller's signals to the container. */
  sigProxy?: boolean;
  /** cgroup file with the `oom_kill` counter (`oomCounterFile`), for State.OOMKilled. */
  oomFile?: string;
  /** Detached only: a program the shim execs once the exit is recorded (e.g. `--rm` cleanup). */
  exitHook?: string[];
  /** Foreground only: the container is killed when this process dies (a build step must not outlive its build). */
  killWithLauncher?: boolean;
  /** false: no json-file log (the caller takes the output from the stdio pipes). */
  log?: boolean;
  /**
   * The events journal file the shim appends docker's container `start` and `die` events to
   * (one line each, O_APPEND), with these attributes (and `exitCode` for die).
   */
  events?: { journal: string; attributes: Record<string, string> };
}

export interface ExitInfo {
  exitCode: number;
  oomKilled: boolean;
  state: ContainerState;
}

export interface StartedContainer {
  id: string;
  /** The container's init process on the host. */
  pid: number;
  shimPid: number;
  /** Foreground only: the recorded exit, once the container has exited and its output is drained. */
  wait(): Promise<ExitInfo>;
  /** The supervisor's own exit (after it deleted the runtime state); keeps this process alive until then. */
  supervisorExit(): Promise<number>;
  stdin?: Writable | null;
  stdout?: Readable | null;
  stderr?: Readable | null;
  /**
   * Foreground only, after `wait()`: the caller's clean-up is done, so the supervisor may
   * exit now rather than when this process does (a long-lived caller: the API service).
   */
  release?(): void;
}

/** The cgroup file whose `oom_kill` line counts OOM kills of the container's processes. */
export function oomCounterFile(host: Pick<HostInfo, 'cgroupVersion'>, cgroupsPath: string): string {
  return host.cgroupVersion === 2
    ? join('/sys/fs/cgroup', cgroupsPath, 'memory.events')
    : join('/sys/fs/cgroup/memory', cgroupsPath, 'memory.oom_control');
}

/** A file of the container's cgroup for `controller` (v1) or the unified tree (v2). */
export function cgroupFile(host: Pick<HostInfo, 'cgroupVersion'>, cgroupsPath: string, controller: string, file: string): string {
  return host.cgroupVersion === 2 ? join('/sys/fs/cgroup', cgroupsPath, file) : join('/sys/fs/cgroup', controller, cgroupsPath, file);
}

/** Node itself profiled (`--cpu-prof`, `--prof`): V8's sampler runs on SIGPROF. */
const PROFILED = process.execArgv.some((a) => a.startsWith('--cpu-prof') || a === '--prof');

const FORWARDED: NodeJS.Signals[] = [
  'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGVTALRM',
  // A listener would replace the profiler's handler, and its next tick would kill the CLI.
  ...(PROFILED ? [] : ['SIGPROF' as const]),
  'SIGIO', 'SIGPWR', 'SIGXCPU', 'SIGXFSZ',
];

/** Lines from the shim's ready pipe: `next()` resolves with each line, '' once it closed. */
function readyLines(child: ChildProcess): { next(): Promise<string> } {
  const stream = child.stdio[3] as Readable | null;
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  let text = '';
  let ended = false;
  const deliver = (): void => {
    while (waiters.length > 0 && (lines.length > 0 || ended)) (waiters.shift() as (l: string) => void)(lines.shift() ?? '');
  };
  if (stream === null) {
    ended = true;
  } else {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
        lines.push(text.slice(0, nl));
        text = text.slice(nl + 1);
      }
      deliver();
    });
    const end = (): void => {
      if (text !== '') lines.push(text);
      text = '';
      ended = true;
      deliver();
    };
    stream.once('end', end);
    stream.once('error', end);
    stream.once('close', end);
  }
  return { next: () => new Promise<string>((resolve) => { waiters.push(resolve); deliver(); }) };
}

function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 255 : 128)));
  });
}

interface ShimLaunch {
  args: string[];
  detach: boolean;
  stdin: boolean;
  tty: boolean;
  stdio: StartContainerOptions['stdio'];
  sigProxy: boolean;
  /** Turns a `failed <status> <message>` line into the error to throw. */
  failure: (message: string) => Error;
  statePath?: string;
  runtimeLog: string;
  /** The shim runs an exit hook (see `StartContainerOptions.exitHook`). */
  exitHook: boolean;
}

/** Spawns the shim, waits for its first line, and wires up the foreground parts. */
async function launchShim(id: string, shim: string, l: ShimLaunch): Promise<StartedContainer> {
  const stdio = l.detach
    ? (['ignore', 'ignore', 'ignore', 'pipe'] as const)
    : ([l.stdin ? (l.stdio?.[0] ?? 'inherit') : 'ignore', l.stdio?.[1] ?? 'inherit', l.stdio?.[2] ?? 'inherit', 'pipe'] as const);
  // A session of its own: the supervisor survives the CLI and its terminal's job control.
  const child = childProcess().spawn(shim, l.args, { stdio: [...stdio], detached: true });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(internal(`start the container supervisor ${shim}: ${err.message}`, { cause: err })));
  });
  spawnError.catch(() => { /* raced below */ });
  const exited = exitOf(child);
  const ready = readyLines(child);
  const line = await Promise.race([ready.next(), spawnError]);
  const shimPid = child.pid ?? 0;

  if (!line.startsWith('started ')) {
    const code = await exited;
    const m = /^failed (\d+) (.*)$/.exec(line);
    if (m !== null) throw l.failure(m[2] as string);
    throw internal(`container supervisor exited with status ${code} before starting the process`, { hint: `see ${l.runtimeLog}` });
  }
  const pid = Number(line.slice('started '.length));

  const supervisorExit = (): Promise<number> => {
    child.ref();
    return exited;
  };
  if (l.detach) {
    (child.stdio[3] as Readable | null)?.destroy();
    child.unref();
    return {
      id, pid, shimPid, supervisorExit,
      wait: () => Promise.reject(internal('wait() is for foreground processes; read the state file for a detached container')),
    };
  }

  const handlers = new Map<NodeJS.Signals, () => void>();
  const forward = (sig: NodeJS.Signals): void => {
    const h = (): void => { child.kill(sig); };
    handlers.set(sig, h);
    process.on(sig, h);
  };
  if (l.sigProxy) for (const sig of FORWARDED) forward(sig);
  if (l.tty) forward('SIGWINCH');

  const wait = async (): Promise<ExitInfo> => {
    // The shim reports the exit as soon as it is recorded, then deletes the runtime state.
    const exitLine = await ready.next();
    for (const [sig, h] of handlers) process.removeListener(sig, h);
    handlers.clear();
    // The shim now deletes the runtime state on its own; the caller needn't wait for that.
    // With an exit hook, our end of the pipe stays open until this process exits: the shim
    // waits for that, then runs the hook if the clean-up after the exit was left undone.
    const pipe = child.stdio[3] as Socket | null;
    if (l.exitHook) {
      pipe?.pause();
      pipe?.unref();
    } else {
      pipe?.destroy();
    }
    child.unref();
    const m = /^exited (\d+) ([01])$/.exec(exitLine);
    const state = l.statePath === undefined ? undefined : readContainerState(l.statePath);
    if (m !== null) {
      const exitCode = Number(m[1]);
      const oomKilled = m[2] === '1';
      return { exitCode, oomKilled, state: state ?? { ...UNKNOWN_STATE, status: 'exited', exitCode, oomKilled } };
    }
    const code = await exited;
    if (state === undefined || state.status !== 'exited') {
      throw internal(`container supervisor exited with status ${code} without reporting the exit`);
    }
    return { exitCode: state.exitCode, oomKilled: state.oomKilled, state };
  };
  const waiting = wait();
  waiting.catch(() => { /* surfaced to whoever calls wait() */ });
  const release = (): void => {
    (child.stdio[3] as Socket | null)?.destroy();
  };
  return { id, pid, shimPid, wait: () => waiting, supervisorExit, release, stdin: child.stdin, stdout: child.stdout, stderr: child.stderr };
}

/**
 * Creates and starts the container in `bundleDir` under a new supervisor.
 * @throws ContainerStartError (docker's message, exit status 125/126/127) when runc can't
 *   create or start it; internal when the supervisor itself can't run.
 */
export async function startContainer(options: StartContainerOptions): Promise<StartedContainer> {
  const files = containerFiles(options.containerDir, options.id);
  const args = [
    '--runtime', options.runtime.binary, '--runtime-root', options.runtime.root, '--id', options.id,
    '--bundle', options.bundleDir, '--state', files.state, '--runtime-log', files.runtimeLog,
    '--pid-file', files.pidFile, '--ready-fd', '3',
  ];
  if (options.log !== false) args.push('--log', files.log);
  if (options.oomFile !== undefined) args.push('--oom-file', options.oomFile);
  if (options.tty) args.push('--tty');
  if (options.stdin) args.push('--stdin');
  if (!options.detach) args.push('--foreground');
  if (options.killWithLauncher && !options.detach) args.push('--kill-with-launcher');
  if (options.events !== undefined) args.push('--event-journal', options.events.journal, '--event-attributes', JSON.stringify(options.events.attributes));
  // In the foreground the shim waits until this process is gone, and runs the hook unless
  // this process did the clean-up (see strata-shim.c).
  if (options.exitHook !== undefined && options.exitHook.length > 0) args.push('--', ...options.exitHook);
  const started = await launchShim(options.id, options.shim, {
    args, detach: options.detach === true, stdin: options.stdin === true, tty: options.tty === true, stdio: options.stdio,
    sigProxy: options.sigProxy !== false, failure: (m) => containerStartError(m, options.runtime.name),
    statePath: files.state, runtimeLog: files.runtimeLog, exitHook: (options.exitHook?.length ?? 0) > 0,
  });
  crashPoint('container-start');
  return started;
}

export interface ExecInContainerOptions {
  runtime: OciRuntime;
  /** The running container. */
  id: string;
  /** Its directory: the process.json, pid file and runtime log of the exec go there, briefly. */
  containerDir: string;
  shim: string;
  /** From `execProcess`; `terminal` decides whether a pty is made. */
  process: ExecProcessSpec;
  /** `-i`. */
  stdin?: boolean;
  /** `-d`: return once it started. */
  detach?: boolean;
  stdio?: StartContainerOptions['stdio'];
  sigProxy?: boolean;
  /** docker's `exec_start: CMD` and `exec_die` events, appended by the supervisor like a container's `start` and `die`. */
  events?: { journal: string; attributes: Record<string, string>; startAction: string; dieAction: string };
}

/** Text the supervisor puts between JSON quotes as it is. */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * Runs one more process in a running container (`exec`), supervised like a container:
 * a pty with `-t` (from any caller, terminal or not), stdin with `-i`, signals forwarded;
 * `wait()` gives its exit status. Its output is not logged, as docker doesn't log exec output.
 * @throws ContainerStartError with exit status 126 and docker's `OCI runtime exec failed: …`.
 */
export async function execInContainer(options: ExecInContainerOptions): Promise<StartedContainer> {
  const dir = mkdtempSync(join(options.containerDir, 'exec-'));
  const processPath = join(dir, 'process.json');
  writeFileSync(processPath, JSON.stringify(options.process));
  const runtimeLog = join(dir, 'runtime.log');
  const tty = options.process.terminal === true;
  const args = [
    '--runtime', options.runtime.binary, '--runtime-root', options.runtime.root, '--id', options.id,
    '--exec', processPath, '--runtime-log', runtimeLog, '--pid-file', join(dir, 'exec.pid'), '--ready-fd', '3',
  ];
  if (tty) args.push('--tty');
  if (options.stdin) args.push('--stdin');
  if (!options.detach) args.push('--foreground');
  if (options.events !== undefined) {
    const { journal, attributes, startAction, dieAction } = options.events;
    args.push('--event-journal', journal, '--event-attributes', JSON.stringify(attributes),
      '--event-start-action', jsonEscaped(startAction), '--event-die-action', jsonEscaped(dieAction));
  }
  try {
    return await launchShim(options.id, options.shim, {
      args, detach: options.detach === true, stdin: options.stdin === true, tty, stdio: options.stdio,
      sigProxy: options.sigProxy !== false, failure: (m) => execStartError(m), runtimeLog, exitHook: false,
    });
  } finally {
    // runc has read the process.json once the process started (or failed).
    rmSync(dir, { recursive: true, force: true });
  }
}

const UNKNOWN_STATE: ContainerState = {
  status: 'exited', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, oomKilled: false, error: '', shimPid: 0, shimStartTime: 0,
};
