/**
 * RUN in a container: the step's mounted snapshot is the root filesystem, runc runs the
 * command in the foreground with the stage's env, user, working directory and mounts, and
 * its output goes to the progress view. Nothing outlives the call: the runtime state is
 * deleted, the bundle removed, and mount points runc had to create in the root filesystem
 * (`/proc`, `/etc/hosts`, a cache mount's target…) are removed again so they never end up
 * in the layer — BuildKit's executor cleans them the same way.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { join, posix } from 'node:path';
import { internal, StrataError } from '../../errdefs/index.ts';
import {
  createBundle, OciRuntime, probeHost, resolveInRootfs, runtimeErrorMessage, type HostInfo, type RuntimeMount,
} from '../../runtime/index.ts';

export interface ContainerRun {
  /** The mounted root filesystem. */
  rootfs: string;
  /** Scratch directory the bundle is made in (and removed from afterwards). */
  workDir: string;
  args: string[];
  /** `KEY=value` entries, in order. */
  env: string[];
  user: string;
  cwd: string;
  network: 'host' | 'none';
  mounts: RuntimeMount[];
  extraHosts?: { name: string; ip: string }[];
  onOutput: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

let cachedHost: HostInfo | undefined;

function host(): HostInfo {
  cachedHost ??= probeHost();
  return cachedHost;
}

const runtimes = new Map<string, OciRuntime>();

function runtimeFor(storeRoot: string): OciRuntime {
  let r = runtimes.get(storeRoot);
  if (r === undefined) {
    r = OciRuntime.locate({ root: join(storeRoot, 'runtime', 'runc') });
    runtimes.set(storeRoot, r);
  }
  return r;
}

/** Runs a short runc command with no stdin, ignoring its result (kill and delete after a cancel). */
function runcQuietly(runtime: OciRuntime, args: string[]): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(runtime.binary, [...runtime.globalArgs(), ...args], { stdio: 'ignore' });
    child.once('error', () => resolve());
    child.once('close', () => resolve());
  });
}

interface Stub {
  /** The first component of the mount point's path that did not exist (it and everything below were created). */
  created: string;
  /** The mount point itself. */
  path: string;
  /** The parent that existed, with its times, to restore. */
  parent: string;
  parentTimes: { atimeMs: number; mtimeMs: number } | undefined;
  /** Its mode and owner, to tell a directory overlayfs only copied up from one that changed. */
  parentStat: { mode: number; uid: number; gid: number; mtimeMs: number } | undefined;
}

/**
 * A directory of a lower layer that runc's mount points made overlayfs copy up (`/etc` for
 * `/etc/hosts`): if it is unchanged once the stubs are gone, the layer need not carry it.
 */
export interface CopiedUpParent {
  /** Container path. */
  path: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

export interface ContainerResult {
  exitCode: number;
  copiedUp: CopiedUpParent[];
}

/** Mount points of the spec that are missing from the root filesystem now. */
function findStubs(rootfs: string, destinations: readonly string[]): Stub[] {
  const stubs: Stub[] = [];
  for (const dest of destinations) {
    const parts = dest.split('/').filter((p) => p !== '');
    let prefix = '/';
    for (const part of parts) {
      const next = posix.join(prefix, part);
      const hostPath = resolveInRootfs(rootfs, next);
      let exists = true;
      try {
        lstatSync(hostPath);
      } catch {
        exists = false;
      }
      if (!exists) {
        const parentHost = resolveInRootfs(rootfs, prefix);
        let parentTimes: Stub['parentTimes'];
        let parentStat: Stub['parentStat'];
        try {
          const st = statSync(parentHost);
          parentTimes = { atimeMs: st.atimeMs, mtimeMs: st.mtimeMs };
          parentStat = { mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs };
        } catch {
          parentTimes = undefined;
        }
        // Every mount point is recorded, even under one created directory (/etc/hosts and /etc/hostname).
        stubs.push({ created: next, path: dest, parent: prefix, parentTimes, parentStat });
        break;
      }
      prefix = next;
    }
  }
  return stubs;
}

/** Removes what runc created for the mount points, when it is still an empty file or directory. */
function cleanStubs(rootfs: string, stubs: readonly Stub[]): void {
  for (const stub of [...stubs].reverse()) {
    // From the mount point up to the first created component.
    let p = stub.path;
    for (;;) {
      const hostPath = resolveInRootfs(rootfs, p);
      try {
        const st = lstatSync(hostPath);
        if (st.isDirectory()) {
          if (readdirSync(hostPath).length === 0) rmdirSync(hostPath);
          else break;
        } else if (st.isFile() && st.size === 0) {
          unlinkSync(hostPath);
        } else {
          break;
        }
      } catch {
        // Gone already.
      }
      if (p === stub.created || p === '/') break;
      p = posix.dirname(p);
    }
    if (stub.parentTimes !== undefined) {
      try {
        utimesSync(resolveInRootfs(rootfs, stub.parent), stub.parentTimes.atimeMs / 1000, stub.parentTimes.mtimeMs / 1000);
      } catch {
        // The command removed it.
      }
    }
  }
}

/**
 * Runs one command to completion.
 * @returns its exit code (a runc failure to start it is reported as an error instead), and the
 *   lower directories its mount points may have made overlayfs copy up
 * @throws internal when runc cannot start the process (its message), canceled when `signal` fires
 */
export async function runContainer(storeRoot: string, run: ContainerRun): Promise<ContainerResult> {
  const runtime = runtimeFor(storeRoot);
  const id = `build-${randomBytes(8).toString('hex')}`;
  // One bundle per run: stages run at the same time.
  const bundleDir = mkdtempSync(join(run.workDir, 'bundle-'));
  const info = host();
  const bundle = createBundle({
    bundleDir,
    rootfs: run.rootfs,
    image: {},
    host: info,
    runtime,
    options: {
      id,
      command: run.args,
      entrypoint: '',
      env: run.env,
      user: run.user,
      workdir: run.cwd,
      hostname: 'buildkitsandbox',
      network: run.network,
      mounts: run.mounts,
      ...(run.extraHosts && run.extraHosts.length > 0 ? { extraHosts: run.extraHosts } : {}),
    },
  });
  const stubs = findStubs(run.rootfs, bundle.spec.mounts.map((m) => m.destination));
  const logFile = join(bundleDir, 'runc.log');
  let exitCode: number;
  try {
    exitCode = await new Promise<number>((resolve, reject) => {
      const child = spawn(runtime.binary, ['--root', runtime.root, '--log', logFile, '--log-format', 'json', 'run', '--bundle', bundleDir, id], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (b: Buffer) => run.onOutput(b));
      child.stderr.on('data', (b: Buffer) => run.onOutput(b));
      const onAbort = (): void => {
        runcQuietly(runtime, ['kill', '--all', id, 'KILL']);
      };
      run.signal?.addEventListener('abort', onAbort, { once: true });
      child.once('error', (err) => reject(internal(`run ${runtime.binary}: ${err.message}`, { cause: err })));
      child.once('close', (code, sig) => {
        run.signal?.removeEventListener('abort', onAbort);
        if (run.signal?.aborted) {
          reject(new StrataError('canceled', 'the build was canceled'));
          return;
        }
        resolve(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15));
      });
    });
  } finally {
    // `runc run` deletes the container when it exits; only a canceled run may leave it.
    if (run.signal?.aborted === true) await runcQuietly(runtime, ['delete', '--force', id]);
    cleanStubs(run.rootfs, stubs);
  }
  // runc reports a process it could not start through its log, and exits 1 (or 127/126 for exec errors).
  let failure: string | undefined;
  try {
    const text = readFileSync(logFile, 'utf8');
    if (/"level":"(error|fatal)"/.test(text)) failure = runtimeErrorMessage(text);
  } catch {
    // No log: runc had nothing to say.
  }
  rmSync(bundleDir, { recursive: true, force: true });
  if (failure !== undefined && exitCode !== 0) {
    const err = internal(failure.replace(/^runc run failed: /, ''));
    (err as { exitCode?: number }).exitCode = exitCode;
    throw err;
  }
  const copiedUp: CopiedUpParent[] = [];
  for (const stub of stubs) {
    if (stub.parent === '/' || stub.parentStat === undefined || copiedUp.some((c) => c.path === stub.parent)) continue;
    copiedUp.push({ path: stub.parent, ...stub.parentStat });
  }
  return { exitCode, copiedUp };
}
