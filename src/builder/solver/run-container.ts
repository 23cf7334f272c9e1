/**
 * RUN in a container: the step's mounted snapshot is the root filesystem, runc runs the
 * command with the stage's env, user, working directory and mounts, and its output goes to
 * the progress view. The container runs under strata-shim with `killWithLauncher`, so it
 * dies with the build even on `kill -9` (runc's own client dying would leave it running).
 * Nothing outlives the build: mount points runc had to create in the root filesystem
 * (`/proc`, `/etc/hosts`, a cache mount's target…) are removed again before the call returns,
 * so they never end up in the layer — BuildKit's executor cleans them the same way — and the
 * supervisor deletes the runtime state and the bundle goes right after (the build waits for
 * that before it ends).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { lstatSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { internal, StrataError } from '../../errdefs/index.ts';
import {
  ContainerStartError, createBundle, ensureShim, OciRuntime, probeHost, resolveInRootfs, startContainer, type HostInfo, type RuntimeMount,
  type StartedContainer,
} from '../../runtime/index.ts';
import type { ContainerNetworking } from '../../network/index.ts';
import { BUILD_CONTAINER_PREFIX } from '../leftovers.ts';

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
  /** `bridge`: the store's default network, through `networking` (docker's classic builder's default). */
  network: 'bridge' | 'host' | 'none';
  networking?: ContainerNetworking;
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
    r.requireLeakFix(storeRoot);
    runtimes.set(storeRoot, r);
  }
  return r;
}

/** Runs a short runc command with no stdin, ignoring its result (kill after a cancel). */
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

/** Resolves once a stream of the supervisor has ended (all the step's output was delivered). */
function drained(stream: Readable | null | undefined): Promise<void> {
  if (stream === null || stream === undefined || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return once(stream, 'close').then(() => undefined, () => undefined);
}

/**
 * Runs one command to completion.
 * @returns its exit code (a runc failure to start it is reported as an error instead), and the
 *   lower directories its mount points may have made overlayfs copy up
 * @throws internal when runc cannot start the process (its message), canceled when `signal` fires
 */
export async function runContainer(storeRoot: string, run: ContainerRun): Promise<ContainerResult> {
  const runtime = runtimeFor(storeRoot);
  const shim = ensureShim(join(storeRoot, 'runtime'));
  const id = `${BUILD_CONTAINER_PREFIX}${randomBytes(8).toString('hex')}`;
  // One bundle per run: stages run at the same time.
  const bundleDir = mkdtempSync(join(run.workDir, 'bundle-'));
  const info = host();
  // On the default bridge: the step's namespace, an address leased host-wide, netavark's veth.
  const bridged = run.network === 'bridge' ? run.networking : undefined;
  if (run.network === 'bridge' && bridged === undefined) throw internal('a RUN step on the default network needs the store\'s networking');
  const net = bridged === undefined ? undefined
    : await bridged.attach({ id, name: id, dir: bundleDir, spec: { networks: [{ name: 'bridge', aliases: [] }], portBindings: {} }, recorded: false });
  let bundle: ReturnType<typeof createBundle>;
  try {
    bundle = createBundle({
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
        network: run.network === 'host' ? 'host' : 'none',
        mounts: run.mounts,
        ...(run.extraHosts && run.extraHosts.length > 0 ? { extraHosts: run.extraHosts } : {}),
        ...(net !== undefined ? { netnsPath: net.netns, ownHosts: net.networks.map((n) => ({ ip: n.ip, name: 'buildkitsandbox' })) } : {}),
      },
    });
  } catch (err) {
    if (net !== undefined) bridged!.detach(id, bundleDir);
    throw err;
  }
  const stubs = findStubs(run.rootfs, bundle.spec.mounts.map((m) => m.destination));
  let started: StartedContainer | undefined;
  const onAbort = (): void => {
    if (started !== undefined) void runcQuietly(runtime, ['kill', '--all', id, 'KILL']);
  };
  try {
    started = await startContainer({
      runtime, id, bundleDir, containerDir: bundleDir, shim, stdio: ['ignore', 'pipe', 'pipe'], sigProxy: false, killWithLauncher: true, log: false,
    });
    started.stdout?.on('data', (b: Buffer) => run.onOutput(b));
    started.stderr?.on('data', (b: Buffer) => run.onOutput(b));
    run.signal?.addEventListener('abort', onAbort, { once: true });
    if (run.signal?.aborted === true) onAbort();
    const { exitCode } = await started.wait();
    await Promise.all([drained(started.stdout), drained(started.stderr)]);
    if (run.signal?.aborted === true) throw new StrataError('canceled', 'the build was canceled');
    const copiedUp: CopiedUpParent[] = [];
    for (const stub of stubs) {
      if (stub.parent === '/' || stub.parentStat === undefined || copiedUp.some((c) => c.path === stub.parent)) continue;
      copiedUp.push({ path: stub.parent, ...stub.parentStat });
    }
    return { exitCode, copiedUp };
  } catch (err) {
    // runc could not start the process: its words, and the status docker would give (127 for a missing binary).
    if (err instanceof ContainerStartError) {
      const failure = internal(err.runtimeMessage.replace(/^runc (run|create) failed: /, ''));
      (failure as { exitCode?: number }).exitCode = err.exitStatus;
      throw failure;
    }
    throw err;
  } finally {
    run.signal?.removeEventListener('abort', onAbort);
    cleanStubs(run.rootfs, stubs);
    if (net !== undefined) bridged!.detach(id, bundleDir);
    // The supervisor still deletes the runtime state (`runc delete`, tens of milliseconds),
    // writing to its log in the bundle: the bundle goes when it is done, and the build
    // waits for that (`runtimeStatesDeleted`) before it removes its scratch directory.
    if (started === undefined) {
      rmSync(bundleDir, { recursive: true, force: true });
    } else {
      const deleted = started.supervisorExit()
        .then(() => rmSync(bundleDir, { recursive: true, force: true }))
        .catch(() => { /* left to the removal of the scratch directory */ });
      deleting.add(deleted);
      void deleted.finally(() => deleting.delete(deleted));
    }
  }
}

/** Supervisors of finished steps that are still deleting their container's runtime state. */
const deleting = new Set<Promise<void>>();

/** Resolves once every finished step's runtime state is deleted and its bundle removed. */
export async function runtimeStatesDeleted(): Promise<void> {
  await Promise.all(deleting);
}
