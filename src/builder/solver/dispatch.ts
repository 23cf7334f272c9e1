/**
 * One instruction of a stage, as BuildKit's dockerfile2llb dispatches it: the instruction is
 * expanded in the stage's environment, metadata instructions change the image config and add
 * `empty_layer` history, and RUN, COPY, ADD and WORKDIR become layer steps — looked up in the
 * cache, or run in a writable snapshot and committed as one layer.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { invalidArgument, isStrataError, notFound, StrataError } from '../../errdefs/index.ts';
import { checkImageDepth } from '../../images/index.ts';
import { LeaseRecords } from '../../metadata/index.ts';
import { ContainerNetworking } from '../../network/index.ts';
import { parseGroup, parsePasswd } from '../../runtime/index.ts';
import type { Digest } from '../../oci/index.ts';
import { FileHasher, packSourceFiles, type SourceFile } from '../context/content-hash.ts';
import { ContextFs } from '../context/context-fs.ts';
import {
  HISTORY_COMMENT, applyMetadataInstruction, argHistory, copyHistory, expandInstruction, isMetadataInstruction,
  maintainerHistory, parseChmod, proxyEnv, resolveStageArg, runCommandLine, runHistory, stepName,
  type AddInstruction, type ChmodSpec, type CopyInstruction, type Instruction, type MetadataScope, type RunInstruction,
  type WorkdirInstruction,
} from '../dockerfile/index.ts';
import type { Vertex } from '../progress.ts';
import { copyResolved, inlineSource, isUrl, resolvePathSource, urlSource, type ResolvedSource } from './copy-sources.ts';
import { mkdirAllInRoot, PlainRoot, type CopyRoot } from './file-copy.ts';
import { runContainer, type CopiedUpParent } from './run-container.ts';
import { mountKeyInputs, prepareMounts } from './run-mounts.ts';
import type { DispatchContext, SolveSession } from './solve-session.ts';
import { findStageRef } from './stage-plan.ts';
import type { StageState } from './stage-state.ts';
import { stepKey, type StepInputs } from './step-cache.ts';
import { changeInSnapshot, discardLayer, dropUnchangedCopyUps, viewTree, writeInSnapshot, type TreeView } from './workspace.ts';

function at(inst: Instruction): { line: number; endLine: number } {
  return { line: inst.location.line, endLine: inst.location.endLine };
}

/** Resolves `--chown` / USER for files as BuildKit does: names from the tree's passwd and group files (unknown names are 0). */
export function resolveOwner(root: CopyRoot, spec: string): { uid: number; gid: number } {
  const [user = '', group] = spec.split(/:(.*)/s, 2) as [string, string | undefined];
  const id = (s: string): number | undefined => (s === 'root' ? 0 : /^\d+$/.test(s) && Number(s) <= 2 ** 31 - 1 ? Number(s) : undefined);
  let uid = 0;
  let gid = 0;
  const u = id(user);
  if (u !== undefined) {
    uid = u;
    gid = u;
  } else if (user !== '') {
    const passwd = root.read('/etc/passwd');
    const entry = passwd === undefined ? undefined : parsePasswd(passwd.toString('utf8')).find((e) => e.name === user);
    if (entry !== undefined) {
      uid = entry.uid;
      gid = entry.gid;
    }
  }
  if (group !== undefined && group !== '') {
    const g = id(group);
    if (g !== undefined) {
      gid = g;
    } else {
      const file = root.read('/etc/group');
      const entry = file === undefined ? undefined : parseGroup(file.toString('utf8')).find((e) => e.name === group);
      if (entry !== undefined) gid = entry.gid;
    }
  }
  return { uid, gid };
}

/** BuildKit's pathRelativeToWorkingDir: absolute, cleaned, a trailing `/` kept. */
export function destPath(workdir: string, p: string): string {
  let rel = p;
  if (rel === '' || rel === '.') rel = './';
  const joined = rel.startsWith('/') ? posix.join('/', rel) : posix.join('/', workdir, rel);
  const keepSlash = (rel.endsWith('/') || rel.endsWith('/.')) && !joined.endsWith('/');
  return keepSlash ? `${joined}/` : joined;
}

function epochDate(builder: SolveSession): Date | undefined {
  const e = builder.options.sourceDateEpoch;
  return e === undefined ? undefined : new Date(e * 1000);
}

interface LayerStep {
  vertex: Vertex;
  kind: string;
  description: string;
  inputs: StepInputs;
  fileSets?: () => { digest: string; data: Buffer }[];
  /** The file lists of this step's sources, to explain a miss. */
  files?: () => ReadonlyMap<string, SourceFile[]>;
  /** RUN: the mounted root filesystem. */
  execute?: (rootfs: string) => Promise<void>;
  /** COPY, ADD, WORKDIR: writes files only (see writeInSnapshot). */
  write?: (root: CopyRoot) => Promise<void>;
  /** Write through a mounted snapshot even on overlay (ADD, which may unpack archives). */
  mounted?: boolean;
  /** COPY --link: the layer is made as if nothing were below it. */
  independent?: boolean;
  /** RUN: tidies the upper directory once unmounted (see dropUnchangedCopyUps). */
  tidyUpper?: (upper: string) => void;
}

/** Looks a layer step up in the cache, or runs it; either way its layer goes on the stack. */
async function layerStep(ctx: DispatchContext, state: StageState, inst: Instruction, step: LayerStep): Promise<void> {
  const { builder } = ctx;
  const { progress, cache } = builder;
  try {
    checkImageDepth(state.layers.length + 1, `${inst.original.split('\n')[0] ?? inst.kind} would give the image`);
  } catch (err) {
    progress.fail(step.vertex, err instanceof Error ? err.message : String(err));
    throw builder.failure(err, at(inst), { vertex: step.vertex });
  }
  const started = Date.now();
  const key = stepKey(state.key, step.inputs);
  const noCache = ctx.plan.noCache;
  const hit = noCache ? undefined : cache.lookup(key);
  if (hit !== undefined && builder.reuse(hit.chainId)) {
    cache.touch(key);
    progress.cached(step.vertex);
    state.addLayer({ chainId: hit.chainId as Digest, diffId: hit.diffId as Digest, size: hit.size, tarSize: hit.tarSize }, step.description, HISTORY_COMMENT, hit.createdAt);
    state.key = key;
    builder.reports.push({ name: step.vertex.name, kind: step.kind, cached: true, durationMs: Date.now() - started });
    return;
  }
  const reason = noCache
    ? (builder.options.noCache === true ? 'the build runs with --no-cache' : `stage ${ctx.plan.stage.name ?? ''} is in --no-cache-filter`)
    : cache.explain(state.key, step.inputs, step.description, state.rebuilt, step.files);
  progress.miss(step.vertex, reason);
  const parent = state.top;
  let layer;
  try {
    const epoch = builder.options.sourceDateEpoch;
    const space = builder.space;
    const write = step.write;
    if (write !== undefined && step.mounted !== true) layer = await writeInSnapshot(space, parent, write, epoch, step.independent === true);
    else if (write !== undefined) layer = await changeInSnapshot(space, parent, (rootfs) => write(new PlainRoot(rootfs)), epoch);
    else if (step.execute !== undefined) layer = await changeInSnapshot(space, parent, step.execute, epoch, step.tidyUpper);
    else throw new Error('a layer step needs execute or write');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    progress.fail(step.vertex, message);
    throw builder.failure(err, at(inst), { vertex: step.vertex });
  }
  const createdAt = Date.now();
  try {
    cache.record({
      key, parentKey: state.key, kind: step.kind, description: step.description, inputs: JSON.stringify(step.inputs),
      chainId: layer.chainId, diffId: layer.diffId, size: layer.size, tarSize: layer.tarSize, createdAt, lastUsedAt: createdAt, usageCount: 1,
    }, { parent: parent ?? null }, step.fileSets?.() ?? []);
  } catch (err) {
    // No record came to keep the step's layer (a full disk): it goes, unless another command uses it now.
    const chainId = layer.chainId;
    const leases = new LeaseRecords(builder.host.db);
    discardLayer(builder.space, chainId, () => builder.host.images.layers.get(chainId) !== undefined
      || leases.refs('layer').some((r) => r.ref === chainId && r.leaseId !== builder.leaseHeld));
    progress.fail(step.vertex, err instanceof Error ? err.message : String(err));
    throw builder.failure(err, at(inst), { vertex: step.vertex });
  }
  state.addLayer(layer, step.description, HISTORY_COMMENT, createdAt);
  state.key = key;
  state.rebuilt = true;
  progress.done(step.vertex);
  builder.reports.push({ name: step.vertex.name, kind: step.kind, cached: false, reason, durationMs: Date.now() - started });
}

/** Runs `fn`, turning its errors into build failures at the instruction (and failing the vertex). */
async function guarded<T>(ctx: DispatchContext, inst: Instruction, vertex: Vertex | undefined, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (vertex !== undefined && vertex.completed === undefined) ctx.builder.progress.fail(vertex, err instanceof Error ? err.message : String(err));
    throw ctx.builder.failure(err, at(inst));
  }
}

/** Dispatches one instruction of a stage. */
export async function dispatchInstruction(ctx: DispatchContext, state: StageState, original: Instruction, onbuild: boolean): Promise<void> {
  const { builder } = ctx;
  const esc = builder.df.escapeToken;
  if (original.kind === 'ARG') {
    const resolved = await guarded(ctx, original, undefined, () => resolveStageArg(original, {
      env: state.env, buildArgs: builder.buildArgs, globalArgs: builder.globalArgs, escapeToken: esc,
    }));
    for (const r of resolved) {
      if (r.setsEnv && r.value !== undefined) state.env.set(r.key, r.value);
      state.declaredArgs.push({ key: r.key, value: r.value });
    }
    state.addEmptyHistory(argHistory(resolved), HISTORY_COMMENT);
    return;
  }
  const inst = await guarded(ctx, original, undefined, () => expandInstruction(original, state.env, { escapeToken: esc }).instruction);
  if (inst.kind === 'MAINTAINER') {
    state.config.author = inst.maintainer;
    state.addEmptyHistory(maintainerHistory(inst.maintainer), HISTORY_COMMENT);
    return;
  }
  if (isMetadataInstruction(inst) && inst.kind !== 'WORKDIR') {
    const scope: MetadataScope = { dialect: 'buildkit', shell: state.shell, cmdSet: state.cmdSet };
    const history = await guarded(ctx, inst, undefined, () => applyMetadataInstruction(state.defaults, inst, scope));
    state.cmdSet = scope.cmdSet;
    // ENV also changes what later instructions expand and RUN sees.
    if (inst.kind === 'ENV') for (const p of inst.pairs) state.env.set(p.key, p.value);
    if (history !== undefined) state.addEmptyHistory(history, HISTORY_COMMENT);
    return;
  }
  switch (inst.kind) {
    case 'WORKDIR':
      await workdir(ctx, state, inst, onbuild);
      return;
    case 'RUN':
      await run(ctx, state, inst, original as RunInstruction, onbuild);
      return;
    case 'COPY':
    case 'ADD':
      await copy(ctx, state, inst, original as CopyInstruction | AddInstruction, onbuild);
      return;
    default:
      return;
  }
}

async function workdir(ctx: DispatchContext, state: StageState, inst: WorkdirInstruction, onbuild: boolean): Promise<void> {
  const { builder } = ctx;
  // The config changes as for any metadata instruction; a directory other than / also gets a layer.
  const history = applyMetadataInstruction(state.defaults, inst, { dialect: 'buildkit', shell: state.shell, cmdSet: state.cmdSet }) as string;
  const wd = state.workdir;
  if (wd === '/') {
    state.addEmptyHistory(history, HISTORY_COMMENT);
    return;
  }
  const name = stepName(inst, state.env, builder.df.escapeToken) ?? `WORKDIR ${inst.path}`;
  const vertex = builder.progress.start(`${builder.prefix(ctx, onbuild)}${name}`);
  const user = state.user;
  const created = epochDate(builder);
  await layerStep(ctx, state, inst, {
    vertex,
    kind: 'WORKDIR',
    description: history,
    inputs: { kind: 'WORKDIR', path: wd, user },
    write: async (root) => {
      const owner = user === '' ? undefined : resolveOwner(root, user);
      mkdirAllInRoot(root, wd, { mode: 0o755, ...(owner ? { chown: owner } : {}), ...(created ? { createdTime: created } : {}) });
    },
  });
}

async function run(ctx: DispatchContext, state: StageState, inst: RunInstruction, original: RunInstruction, onbuild: boolean): Promise<void> {
  const { builder } = ctx;
  const name = stepName(original, state.env, builder.df.escapeToken) ?? inst.original;
  const vertex = builder.progress.start(`${builder.prefix(ctx, onbuild)}${name}`);
  const line = await guarded(ctx, inst, vertex, () => runCommandLine(inst, state.shell, state.config.os));
  const mounts = inst.mounts.map((m) => m.parsed).filter((m): m is NonNullable<typeof m> => m !== undefined);
  if (inst.security === 'insecure') {
    const err = invalidArgument('RUN --security=insecure is not allowed: strata grants no extra privileges to build steps');
    builder.progress.fail(vertex, err.message);
    throw builder.failure(err, at(inst));
  }
  // RUN --network=host|none, else the build's --network (the host's when none is given); `default` is the default bridge, as in docker.
  const wanted = inst.network === 'default' ? builder.options.network ?? 'host' : inst.network;
  const network = wanted === 'default' ? 'bridge' : wanted;
  const mountInputs = await guarded(ctx, inst, vertex, () => mountKeyInputs(builder, ctx.plan, mounts, state.workdir));
  const env = [...state.env].map(([k, v]) => [k, v] as [string, string]);
  const workdir = state.workdir;
  const user = state.user;
  const description = runHistory(line.args, state.declaredArgs, state.env);
  const inputs: StepInputs = {
    kind: 'RUN',
    command: line.args,
    script: line.script ? { name: line.script.name, data: line.script.data } : null,
    env,
    args: state.declaredArgs.map((a) => a.key),
    user,
    workdir,
    network,
    mounts: mountInputs,
  };
  const proxies = proxyEnv(builder.buildArgs);
  let copiedUp: CopiedUpParent[] = [];
  await layerStep(ctx, state, inst, {
    vertex,
    kind: 'RUN',
    description,
    inputs,
    tidyUpper: (upper) => dropUnchangedCopyUps(upper, copiedUp),
    execute: async (rootfs) => {
      const prepared = await prepareMounts(builder, ctx.plan, mounts, workdir);
      try {
        const runtimeMounts = [...prepared.mounts];
        if (line.script !== undefined) {
          const { mkdtempSync, writeFileSync, chmodSync } = await import('node:fs');
          const dir = mkdtempSync(posix.join(builder.scratch, 'pipes-'));
          writeFileSync(posix.join(dir, line.script.name), line.script.data);
          chmodSync(posix.join(dir, line.script.name), line.script.mode);
          runtimeMounts.push({ type: 'bind', source: dir, destination: line.script.dir.replace(/\/$/, ''), readOnly: true });
        }
        const envList = [...env.map(([k, v]) => `${k}=${v}`), ...proxies.filter((p) => !state.env.has(p.slice(0, p.indexOf('=')))), ...prepared.env];
        const { exitCode: code, copiedUp: parents } = await runContainer(builder.host.root, {
          rootfs, workDir: builder.scratch, args: line.args, env: envList, user, cwd: workdir, network, mounts: runtimeMounts,
          ...(network === 'bridge' ? { networking: new ContainerNetworking(builder.host.root, builder.host.db, posix.join(builder.host.root, 'containers')) } : {}),
          ...(builder.options.extraHosts ? { extraHosts: builder.options.extraHosts } : {}),
          onOutput: (chunk) => builder.progress.log(vertex, chunk),
          ...(builder.options.signal ? { signal: builder.options.signal } : {}),
        });
        copiedUp = parents;
        if (code !== 0) {
          throw new StrataError('failed-precondition', `process "${line.args.join(' ')}" did not complete successfully: exit code: ${code}`);
        }
      } catch (err) {
        if (isStrataError(err) && err.code === 'internal' && (err as { exitCode?: number }).exitCode !== undefined) {
          throw new StrataError('failed-precondition', `process "${line.args.join(' ')}" did not complete successfully: ${err.message}`, { cause: err });
        }
        throw err;
      } finally {
        prepared.release();
      }
    },
  });
}

type CopyLike = CopyInstruction | AddInstruction;

async function copy(ctx: DispatchContext, state: StageState, inst: CopyLike, original: CopyLike, onbuild: boolean): Promise<void> {
  const { builder } = ctx;
  const name = stepName(original, state.env, builder.df.escapeToken) ?? inst.original;
  const vertex = builder.progress.start(`${builder.prefix(ctx, onbuild)}${name}`);
  const isAdd = inst.kind === 'ADD';
  const dest = destPath(state.workdir, inst.dest);
  const description = copyHistory({
    kind: inst.kind, sources: inst.sources, inlineNames: inst.inline.map((s) => s.name), dest: inst.dest,
    chown: inst.chown, chmod: inst.chmod, parents: inst.kind === 'COPY' ? inst.parents : false,
  });
  const views: TreeView[] = [];
  try {
    const resolved = await guarded(ctx, inst, vertex, async () => {
      try {
        return await resolveSources(ctx, state, inst, views);
      } catch (err) {
        // BuildKit finds a missing source while computing the step's cache key.
        if (isStrataError(err, 'not-found') && /^"[^"]*": not found$/.test(err.message)) {
          throw notFound(`failed to compute cache key: ${err.message}`, { ...(err.hint ? { hint: err.hint } : {}), cause: err });
        }
        throw err;
      }
    });
    const chmod: ChmodSpec | undefined = inst.chmod === undefined || inst.chmod === '' ? undefined : await guarded(ctx, inst, vertex, () => parseChmod(inst.chmod as string));
    // File lists are only needed when the step misses (to explain it and to store beside it).
    const fileSets = (): { digest: string; data: Buffer }[] => resolved.sources.map((s) => ({ digest: s.fileSet.digest, data: packSourceFiles(s.fileSet.files()) }));
    const inputs: StepInputs = {
      kind: inst.kind,
      sources: resolved.sources.map((s) => ({ source: s.source, from: resolved.from, fileSet: s.fileSet.digest, ...(s.extra ?? {}) })),
      dest,
      chown: inst.chown ?? '',
      chmod: inst.chmod ?? '',
      excludes: inst.excludes,
      parents: inst.kind === 'COPY' ? inst.parents : false,
      unpack: isAdd ? (inst.unpack ?? true) : false,
      link: inst.link,
    };
    const created = epochDate(builder);
    await layerStep(ctx, state, inst, {
      vertex,
      kind: inst.kind,
      description,
      inputs,
      fileSets,
      files: () => new Map(resolved.sources.map((s) => [s.fileSet.digest, s.fileSet.files()])),
      // ADD may unpack an archive, which goes through the mounted snapshot.
      mounted: isAdd && resolved.sources.some((s) => s.unpack),
      independent: inst.link,
      write: async (root) => {
        const chown = inst.chown === undefined || inst.chown === '' ? undefined : resolveOwner(root, inst.chown);
        for (const source of resolved.sources) {
          await copyResolved(source, {
            root, dest, ...(chown ? { chown } : {}), ...(chmod ? { chmod } : {}), ...(created ? { createdTime: created } : {}),
          });
        }
      },
    });
  } finally {
    for (const v of views) v.release();
  }
}

/** The trees and entries a COPY or ADD copies, resolved (and hashed) before it runs. */
async function resolveSources(ctx: DispatchContext, state: StageState, inst: CopyLike, views: TreeView[]): Promise<{ sources: ResolvedSource[]; from: string }> {
  const { builder } = ctx;
  const hasher = builder.context.hasher;
  if (inst.kind === 'ADD' && inst.keepGitDir !== undefined) {
    throw invalidArgument('ADD --keep-git-dir is for git sources, which strata does not fetch: clone the repository into the context and COPY it');
  }
  if (inst.kind === 'ADD' && inst.checksum !== undefined && inst.checksum !== '') {
    if (inst.sources.length !== 1) throw invalidArgument("checksum can't be specified for multiple sources");
    if (!isUrl(inst.sources[0] as string)) throw invalidArgument('checksum requires HTTP(S) or Git sources');
  }
  let open: (() => ContextFs) | undefined;
  let from = 'context';
  let resetOwner = true;
  let top: Digest | undefined;
  if (inst.kind === 'COPY' && inst.from !== undefined) {
    const ref = findStageRef(builder.plans, inst.from, ctx.plan.index);
    if ('image' in ref) {
      const img = await builder.image(ref.image);
      top = img.layers.at(-1)?.chainId;
      from = 'image';
    } else {
      top = (await builder.stageResult(ref)).state.top;
      from = 'stage';
    }
    // The tree is mounted only when something needs to read it.
    let tree: ContextFs | undefined;
    open = () => {
      if (tree === undefined) {
        const view = viewTree(builder.host.snapshotter, builder.scratch, top);
        views.push(view);
        tree = new ContextFs(view.path);
      }
      return tree;
    };
    resetOwner = false;
  } else {
    const fs = builder.contextFs();
    if (fs !== undefined) open = () => fs;
  }
  const contentHasher = new FileHasher();
  const sources: ResolvedSource[] = [];
  const unpack = inst.kind === 'ADD' ? (inst.unpack ?? true) : false;
  for (const src of inst.sources) {
    if (isUrl(src)) {
      if (inst.kind !== 'ADD') throw invalidArgument('source can\'t be a URL for COPY');
      sources.push(await urlSource(builder.scratch, src, inst.checksum, hasher, builder.options.signal));
      continue;
    }
    if (/^git@|\.git(#.*)?$/.test(src) && inst.kind === 'ADD') {
      throw invalidArgument(`ADD of git repositories (${src}) is not supported: clone it into the context and COPY it`);
    }
    if (open === undefined) throw notFound(`"${posix.join('/', src)}": not found`, { hint: 'the Dockerfile came on stdin without a context: give a context directory to COPY from' });
    const parents = inst.kind === 'COPY' && inst.parents;
    const memo = from === 'context' ? undefined : createHash('sha256').update(JSON.stringify({ top: top ?? '', src, excludes: inst.excludes, parents })).digest('hex');
    sources.push(resolvePathSource(open, src, {
      excludes: inst.excludes, parents, resetOwner, unpack: unpack && from === 'context', hasher, contentHasher, ...(memo ? { memo } : {}),
    }));
  }
  const mtime = epochDate(builder) ?? new Date();
  for (const inline of inst.inline) sources.push(inlineSource(builder.scratch, inline.name, inline.content, hasher, mtime));
  return { sources, from };
}
