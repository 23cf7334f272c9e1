/**
 * Process control through an OCI runtime binary (runc by default; `--runtime` picks
 * another, crun only where a probe run succeeds). Every call passes `--root`, so strata's
 * containers live in their own runtime state directory (`<strata root>/runtime/runc`) and
 * never mix with docker's or anyone else's.
 *
 * The long-running pieces (running a container or an exec under a supervisor) live in
 * supervisor.ts; this file is the thin, short-lived command layer: state, list, kill,
 * delete, pause/resume, ps/top.
 */
import type { SpawnOptions, StdioOptions } from 'node:child_process';
import { childProcess } from '../internal/index.ts';
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, isAbsolute, join } from 'node:path';
import { failedPrecondition, internal, invalidArgument, notFound, unavailable, type StrataError } from '../errdefs/index.ts';
import { checkRunc, requireLeakFix, runcChecksFile } from './runc-check.ts';
import { parseSignal } from './signals.ts';

/** `runc state` output. */
export interface RuntimeState {
  ociVersion: string;
  id: string;
  /** `creating`, `created`, `running`, `paused` or `stopped`. */
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  /** 0 once stopped. */
  pid: number;
  bundle: string;
  rootfs?: string;
  created?: string;
  annotations?: Record<string, string>;
}

export interface CommandResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Finds an executable by name on PATH (or checks an explicit path). */
export function findExecutable(name: string, path = process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'): string | undefined {
  const candidates = isAbsolute(name) || name.includes('/') ? [name] : path.split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch { /* next */ }
  }
  return undefined;
}

/** The last `level=error` message of runc's JSON log lines (stderr or `--log` file), else the raw text. */
export function runtimeErrorMessage(text: string): string {
  let last: string | undefined;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const entry = JSON.parse(t) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && typeof entry.msg === 'string') last = entry.msg;
    } catch { /* not a log line */ }
  }
  return last ?? text.trim();
}

const probed = new Map<string, string | null>();
const mountOptionsOf = new Map<string, readonly string[] | null>();

export interface OciRuntimeOptions {
  /** Runtime state root, e.g. `<strata root>/runtime/runc`. */
  root: string;
  /** `runc` (default), `crun`, or a path to an OCI runtime binary. */
  runtime?: string;
}

/** One OCI runtime binary with its own state root. */
export class OciRuntime {
  readonly binary: string;
  readonly root: string;
  /** `runc`, `crun`, … (the binary's file name). */
  readonly name: string;

  constructor(binary: string, root: string) {
    this.binary = binary;
    this.root = root;
    this.name = basename(binary);
  }

  /**
   * Locates the runtime binary (runc unless `runtime` names another) and makes its state
   * root. crun is probed with a real run first: Debian's crun 1.8 refuses hybrid cgroup hosts.
   * @throws unavailable when the binary is missing or its probe fails.
   */
  static locate(options: OciRuntimeOptions): OciRuntime {
    const wanted = options.runtime ?? 'runc';
    const binary = findExecutable(wanted);
    if (binary === undefined) {
      throw unavailable(`OCI runtime ${JSON.stringify(wanted)} not found in PATH`, {
        hint: wanted === 'runc' ? "install Debian's runc package (bash scripts/setup.sh does)" : 'give --runtime a path to an OCI runtime binary',
      });
    }
    if (basename(binary) !== 'runc') {
      const failure = probeRuntime(binary);
      if (failure !== null) throw unavailable(`OCI runtime ${binary} does not work on this host: ${failure}`, { hint: 'use the default runtime, runc' });
    }
    try {
      mkdirSync(options.root, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw internal(`create runtime state directory ${options.root}: ${(err as Error).message}`, { cause: err });
    }
    return new OciRuntime(binary, options.root);
  }

  /**
   * The mount options the runtime knows, from its `features` command (runc 1.1 and later),
   * or undefined when it has none. Asked once per binary for the life of the process.
   */
  mountOptions(): readonly string[] | undefined {
    let known = mountOptionsOf.get(this.binary);
    if (known === undefined) {
      known = null;
      const r = childProcess().spawnSync(this.binary, ['features'], { encoding: 'utf8', timeout: 10_000 });
      if (r.status === 0) {
        try {
          const options = (JSON.parse(r.stdout) as { mountOptions?: unknown }).mountOptions;
          if (Array.isArray(options)) known = options.filter((o): o is string => typeof o === 'string');
        } catch { /* not the features JSON: treat as unknown */ }
      }
      mountOptionsOf.set(this.binary, known);
    }
    return known ?? undefined;
  }

  /**
   * Before a container process is started with it: a runc without the CVE-2024-21626 fix is
   * refused (other OCI runtimes pass). The verdict is kept in `storeRoot` (runc-check.ts).
   * @throws failed-precondition naming the binary, its version, the CVE and what to do.
   */
  requireLeakFix(storeRoot: string): void {
    requireLeakFix(checkRunc(this.binary, runcChecksFile(storeRoot)));
  }

  /** Global arguments every call gets. */
  globalArgs(): string[] {
    return ['--root', this.root, '--log-format', 'json'];
  }

  /** Runs one runtime command to completion, collecting its output. */
  command(args: string[], options: { stdio?: StdioOptions; input?: string; cwd?: string } = {}): Promise<CommandResult> {
    return runCommand(this.binary, [...this.globalArgs(), ...args], options);
  }

  /** Runs a command and throws a StrataError with runc's message when it fails. */
  private async check(what: string, args: string[]): Promise<CommandResult> {
    const result = await this.command(args);
    if (result.code !== 0) throw this.failure(what, result.stderr);
    return result;
  }

  private failure(what: string, stderr: string): StrataError {
    const message = runtimeErrorMessage(stderr);
    if (/container .*does not exist|container does not exist/.test(message)) return notFound(`${what}: ${message}`);
    if (/not running|is paused|not paused|cannot .* a (stopped|running|paused) container|container not running/i.test(message)) {
      return failedPrecondition(`${what}: ${message}`);
    }
    return internal(`${what}: ${message}`);
  }

  /** The container's runtime state, or undefined when the runtime doesn't know it. */
  async state(id: string): Promise<RuntimeState | undefined> {
    const result = await this.command(['state', id]);
    if (result.code !== 0) {
      if (/does not exist/.test(runtimeErrorMessage(result.stderr))) return undefined;
      throw this.failure(`state of container ${id}`, result.stderr);
    }
    return JSON.parse(result.stdout) as RuntimeState;
  }

  /** Every container under this root. */
  async list(): Promise<RuntimeState[]> {
    const result = await this.check('list containers', ['list', '--format', 'json']);
    const parsed = JSON.parse(result.stdout || 'null') as RuntimeState[] | null;
    return parsed ?? [];
  }

  /**
   * Sends a signal (name or number, docker's forms) to the container's init process, or to
   * every process in it with `all`.
   * @throws invalid-argument for an unknown signal; not-found/failed-precondition from runc.
   */
  async kill(id: string, signal: string | number = 'SIGTERM', options: { all?: boolean } = {}): Promise<void> {
    const sig = parseSignal(String(signal));
    await this.check(`kill container ${id}`, ['kill', ...(options.all ? ['--all'] : []), id, String(sig.number)]);
  }

  /**
   * Deletes the container's runtime state (and its cgroup). `force` kills it first if it runs.
   * Idempotent: a container the runtime doesn't know is already deleted.
   */
  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    const result = await this.command(['delete', ...(options.force ? ['--force'] : []), id]);
    if (result.code === 0) return;
    const message = runtimeErrorMessage(result.stderr);
    if (/does not exist/.test(message)) return;
    throw this.failure(`delete container ${id}`, result.stderr);
  }

  /** Freezes every process of the container (cgroup freezer). */
  async pause(id: string): Promise<void> {
    await this.check(`pause container ${id}`, ['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.check(`unpause container ${id}`, ['resume', id]);
  }

  /** Host PIDs of the container's processes. */
  async pids(id: string): Promise<number[]> {
    const result = await this.check(`list processes of container ${id}`, ['ps', '--format', 'json', id]);
    return (JSON.parse(result.stdout || '[]') as number[] | null) ?? [];
  }

  /**
   * `ps` output for `docker top`: runc runs the host's ps with `psArgs` (default `-ef`) and
   * keeps the container's rows.
   */
  async top(id: string, psArgs: string[] = ['-ef']): Promise<{ titles: string[]; processes: string[][] }> {
    const pids = new Set(await this.pids(id));
    const ps = await runCommand('ps', psArgs, {});
    if (ps.code !== 0) throw internal(`ps ${psArgs.join(' ')}: ${ps.stderr.trim()}`);
    const lines = ps.stdout.split('\n').filter((l) => l.trim() !== '');
    const header = lines.shift() ?? '';
    const titles = header.trim().split(/\s+/);
    const pidIndex = titles.indexOf('PID');
    if (pidIndex < 0) throw invalidArgument(`Couldn't find PID field in ps output`);
    const processes: string[][] = [];
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // The last column (CMD/COMMAND) may contain spaces.
      const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
      if (pids.has(Number(row[pidIndex]))) processes.push(row);
    }
    return { titles, processes };
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : parseSignal(signal).number;
}

/** Spawns a program and collects its output (for short runtime commands). */
export function runCommand(binary: string, args: string[], options: { stdio?: StdioOptions; input?: string; cwd?: string }): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    // Nothing to send: no pipe, so a command that exits at once cannot fail our write with EPIPE.
    const spawnOptions: SpawnOptions = { stdio: options.stdio ?? [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] };
    if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
    const child = childProcess().spawn(binary, args, spawnOptions);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.once('error', (e) => reject(unavailable(`run ${binary}: ${e.message}`, { cause: e })));
    child.once('close', (code, signal) => {
      resolve({ code: code ?? 128 + signalNumber(signal), signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    if (child.stdin) {
      child.stdin.on('error', () => { /* it exited before reading; its status says why */ });
      child.stdin.end(options.input ?? '');
    }
  });
}

/**
 * Runs `/true` from a one-file busybox rootfs with the runtime: null when it works, else
 * its error. Cached per binary for the life of the process.
 */
export function probeRuntime(binary: string): string | null {
  const hit = probed.get(binary);
  if (hit !== undefined) return hit;
  const busybox = findExecutable('busybox', '/bin:/usr/bin');
  if (busybox === undefined) return 'no busybox to probe it with';
  const dir = mkdtempSync(join(tmpdir(), 'strata-probe-'));
  let result: string | null = null;
  try {
    mkdirSync(join(dir, 'rootfs'));
    copyFileSync(busybox, join(dir, 'rootfs', 'busybox'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      ociVersion: '1.0.2-dev',
      process: { user: { uid: 0, gid: 0 }, args: ['/busybox', 'true'], env: [], cwd: '/' },
      root: { path: 'rootfs' },
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
      linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }], cgroupsPath: `/strata-probe/${basename(dir)}` },
    }));
    const r = childProcess().spawnSync(binary, ['--root', join(dir, 'state'), 'run', '--bundle', dir, `probe-${basename(dir)}`], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) result = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() ?? 'failed';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  probed.set(binary, result);
  return result;
}
