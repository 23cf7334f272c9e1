/**
 * `RUN --mount`: what each mount contributes to the step's cache key (computed before the
 * step runs or is looked up), and the runtime mounts it becomes when the step runs.
 *
 *   bind    a path of the context, a stage or an image; read-only unless `rw` (then the
 *           writes go to a throw-away snapshot)
 *   cache   a directory under `<root>/build/cache-mounts/` that persists between builds,
 *           keyed by `id` (default: the target); its content is not part of the key;
 *           `sharing=locked` lets one RUN use it at a time, `private` gives a RUN that finds
 *           it in use a fresh directory for that run
 *   tmpfs   a fresh tmpfs (`size=`)
 *   secret  a `--secret` given to the build, as a read-only file (default
 *           `/run/secrets/<id>`) and/or an environment variable (`env=`); never in the key
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, closeSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join, posix } from 'node:path';
import { errnoOf, fromSystemError, invalidArgument, notFound, unimplemented } from '../../errdefs/index.ts';
import { processAlive } from '../../internal/index.ts';
import { BuildCacheRecords, inTransaction } from '../../metadata/index.ts';
import { resolveInRootfs, type RuntimeMount } from '../../runtime/index.ts';
import type { RunMount } from '../dockerfile/index.ts';
import type { SolveSession } from './solve-session.ts';
import { findStageRef, type StagePlan } from './stage-plan.ts';
import { resolvePathSource } from './copy-sources.ts';
import { copySource, PlainRoot } from './file-copy.ts';
import { scratchTree, viewTree, type TreeView } from './workspace.ts';

export interface PreparedMounts {
  mounts: RuntimeMount[];
  /** `NAME=value` entries for secrets exposed as environment variables. */
  env: string[];
  release(): void;
}

function absTarget(target: string, workdir: string): string {
  return target.startsWith('/') ? posix.normalize(target) : posix.join('/', workdir, target);
}

type FromRef = { kind: 'context' } | { kind: 'stage'; plan: StagePlan } | { kind: 'image'; ref: string };

function fromRef(builder: SolveSession, m: RunMount, plan: StagePlan): FromRef {
  if (m.from === '') return { kind: 'context' };
  const ref = findStageRef(builder.plans, m.from, plan.index);
  return 'image' in ref ? { kind: 'image', ref: ref.image } : { kind: 'stage', plan: ref };
}

/** The key material of a RUN's mounts. */
export async function mountKeyInputs(builder: SolveSession, plan: StagePlan, mounts: readonly RunMount[], workdir: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const m of mounts) {
    const target = m.target === '' ? '' : absTarget(m.target, workdir);
    switch (m.type) {
      case 'bind': {
        const from = fromRef(builder, m, plan);
        let source: string;
        if (from.kind === 'context') {
          const fs = builder.contextFs();
          if (fs === undefined) throw notFound(`"${posix.join('/', m.source)}": not found`);
          source = `context:${resolvePathSource(() => fs, m.source === '' ? '/' : m.source, { excludes: [], parents: false, resetOwner: true, unpack: false, hasher: builder.context.hasher }).fileSet.digest}`;
        } else if (from.kind === 'stage') {
          source = `stage:${(await builder.stageResult(from.plan)).state.key}`;
        } else {
          source = `image:${(await builder.image(from.ref)).id}`;
        }
        out.push({ type: 'bind', target, source, path: m.source, readOnly: m.readOnly });
        break;
      }
      case 'cache': {
        let from = '';
        if (m.from !== '') {
          const ref = fromRef(builder, m, plan);
          if (ref.kind === 'stage') from = `stage:${(await builder.stageResult(ref.plan)).state.key}`;
          else if (ref.kind === 'image') from = `image:${(await builder.image(ref.ref)).id}`;
        }
        out.push({ type: 'cache', target, id: m.id === '' ? target : m.id, sharing: m.sharing ?? 'shared', readOnly: m.readOnly, mode: m.mode ?? 0o755, uid: m.uid ?? 0, gid: m.gid ?? 0, from, source: m.source });
        break;
      }
      case 'tmpfs':
        out.push({ type: 'tmpfs', target, size: m.sizeLimit });
        break;
      case 'secret':
        out.push({ type: 'secret', target, id: secretId(m), env: m.env ?? '', required: m.required, mode: m.mode ?? 0o400, uid: m.uid ?? 0, gid: m.gid ?? 0 });
        break;
      case 'ssh':
        throw unimplemented('RUN --mount=type=ssh is not supported: strata has no SSH agent forwarding', { hint: 'use --mount=type=secret for credentials' });
    }
  }
  return out;
}

function secretId(m: RunMount): string {
  let id = m.id;
  if (m.source !== '') id = m.source;
  if (id === '') {
    if (m.target === '') throw invalidArgument('one of source, target required');
    id = posix.basename(m.target);
  }
  return id;
}

/**
 * An exclusive lock on a cache mount directory across processes (`<dir>.lock`, created with
 * O_EXCL, holding the pid; a dead holder's lock is taken over). `wait` false gives up at once.
 * @returns the release function, or undefined when it is held and `wait` is false
 */
async function lockCacheDir(dir: string, wait: boolean, signal?: AbortSignal): Promise<(() => void) | undefined> {
  const path = `${dir}.lock`;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // gone already
        }
      };
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw fromSystemError(err, `lock cache mount ${dir}`);
    }
    let holder: number;
    try {
      holder = Number(readFileSync(path, 'utf8'));
    } catch {
      continue;
    }
    if (holder > 0 && !processAlive(holder)) {
      try {
        unlinkSync(path);
      } catch {
        // someone else took it over
      }
      continue;
    }
    if (!wait) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The directory of a cache mount, created (with its mode and owner) on first use. */
function cacheMountDir(builder: SolveSession, id: string, m: RunMount, seed: string | undefined): string {
  const records = new BuildCacheRecords(builder.host.db);
  const name = createHash('sha256').update(id).digest('hex').slice(0, 32);
  const dir = join(builder.host.root, 'build', 'cache-mounts', name);
  if (!existsSync(dir)) {
    mkdirSync(join(builder.host.root, 'build', 'cache-mounts'), { recursive: true, mode: 0o700 });
    if (seed !== undefined && existsSync(seed)) {
      cpSync(seed, dir, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    } else {
      mkdirSync(dir);
      chmodSync(dir, m.mode ?? 0o755);
      chownSync(dir, m.uid ?? 0, m.gid ?? 0);
    }
  }
  inTransaction(builder.host.db, () => records.useCacheMount(id, name, Date.now()));
  return dir;
}

/**
 * Makes the runtime mounts of a RUN (views and throw-away snapshots of other trees, cache
 * directories, secret files).
 * @throws not-found for a required secret that was not given
 */
export async function prepareMounts(builder: SolveSession, plan: StagePlan, mounts: readonly RunMount[], workdir: string): Promise<PreparedMounts> {
  const views: TreeView[] = [];
  const locks: (() => void)[] = [];
  const out: RuntimeMount[] = [];
  const env: string[] = [];
  const release = (): void => {
    for (const unlock of locks) unlock();
    for (const v of views.reverse()) {
      try {
        v.release();
      } catch {
        // best effort: the scratch directory goes at the end of the build
      }
    }
  };
  try {
    for (const m of mounts) {
      const target = m.target === '' ? '' : absTarget(m.target, workdir);
      switch (m.type) {
        case 'bind': {
          const from = fromRef(builder, m, plan);
          let root: string;
          if (from.kind === 'context') {
            const fs = builder.contextFs();
            if (fs === undefined) throw notFound(`"${posix.join('/', m.source)}": not found`);
            root = fs.root;
            if (!m.readOnly || builder.context.ignorePatterns > 0) {
              // A copy, when the context has ignored files (they must not show) or the mount is
              // writable (writes are thrown away): what COPY would copy, in a scratch directory.
              const copy = mkdtempSync(join(builder.scratch, 'bind-'));
              const source = resolvePathSource(() => fs, m.source === '' ? '/' : m.source, {
                excludes: [], parents: false, resetOwner: true, unpack: false, hasher: builder.context.hasher,
              });
              for (const planned of source.planned()) {
                copySource(planned, { root: new PlainRoot(copy), dest: '/src', copyDirContents: true, resetOwner: true });
              }
              out.push({ type: 'bind', source: join(copy, 'src'), destination: target, readOnly: m.readOnly });
              break;
            }
          } else {
            const top = from.kind === 'stage' ? (await builder.stageResult(from.plan)).state.top : (await builder.image(from.ref)).layers.at(-1)?.chainId;
            const view = m.readOnly ? viewTree(builder.host.snapshotter, builder.scratch, top) : scratchTree(builder.host.snapshotter, builder.scratch, top);
            views.push(view);
            root = view.path;
          }
          const source = resolveInRootfs(root, m.source);
          if (!existsSync(source)) throw notFound(`failed to mount ${target}: "${posix.join('/', m.source)}": not found`);
          out.push({ type: 'bind', source, destination: target, readOnly: m.readOnly });
          break;
        }
        case 'cache': {
          const id = m.id === '' ? target : m.id;
          let seed: string | undefined;
          if (m.from !== '') {
            const ref = fromRef(builder, m, plan);
            if (ref.kind !== 'context') {
              const top = ref.kind === 'stage' ? (await builder.stageResult(ref.plan)).state.top : (await builder.image(ref.ref)).layers.at(-1)?.chainId;
              const view = viewTree(builder.host.snapshotter, builder.scratch, top);
              views.push(view);
              seed = resolveInRootfs(view.path, m.source);
            }
          }
          const dir = cacheMountDir(builder, id, m, seed);
          const sharing = m.sharing ?? 'shared';
          if (sharing === 'shared' || m.readOnly) {
            out.push({ type: 'bind', source: dir, destination: target, readOnly: m.readOnly });
            break;
          }
          // locked: one RUN at a time (others wait); private: a RUN that finds it in use gets a fresh one.
          const unlock = await lockCacheDir(dir, sharing === 'locked', builder.options.signal);
          if (unlock !== undefined) {
            locks.push(unlock);
            out.push({ type: 'bind', source: dir, destination: target, readOnly: false });
          } else {
            const fresh = mkdtempSync(join(builder.scratch, 'cache-private-'));
            chmodSync(fresh, m.mode ?? 0o755);
            chownSync(fresh, m.uid ?? 0, m.gid ?? 0);
            out.push({ type: 'bind', source: fresh, destination: target, readOnly: false });
          }
          break;
        }
        case 'tmpfs':
          out.push({ type: 'tmpfs', destination: target, data: m.sizeLimit > 0 ? `size=${m.sizeLimit}` : '' });
          break;
        case 'secret': {
          const id = secretId(m);
          const given = builder.options.secrets?.get(id);
          let value: Buffer | undefined;
          if (given?.file !== undefined) value = readFileSync(given.file);
          else if (given?.env !== undefined && process.env[given.env] !== undefined) value = Buffer.from(process.env[given.env] as string);
          if (value === undefined) {
            if (m.required) throw notFound(`secret ${id} not found`, { hint: `pass it with --secret id=${id},src=<file>` });
            break;
          }
          if (m.env !== undefined && m.env !== '') env.push(`${m.env}=${value.toString('utf8')}`);
          if (m.env !== undefined && m.env !== '' && m.target === '') break;
          const dir = mkdtempSync(join(builder.scratch, 'secret-'));
          const file = join(dir, 'secret');
          writeFileSync(file, value, { mode: m.mode ?? 0o400 });
          chmodSync(file, m.mode ?? 0o400);
          chownSync(file, m.uid ?? 0, m.gid ?? 0);
          out.push({ type: 'bind', source: file, destination: target === '' ? `/run/secrets/${posix.basename(id)}` : target, readOnly: true });
          break;
        }
        case 'ssh':
          throw unimplemented('RUN --mount=type=ssh is not supported: strata has no SSH agent forwarding');
      }
    }
  } catch (err) {
    release();
    throw err;
  }
  return { mounts: out, env, release };
}

