/**
 * The solver: a parsed Dockerfile and a context in, an image out.
 *
 * Stages form a graph (FROM another stage, COPY --from, RUN --mount=from). Only the stages
 * the target needs are built; each is an async task that waits for what it needs when it
 * needs it, so independent stages run at the same time. Inside a stage, instructions are
 * dispatched in order as BuildKit's dockerfile2llb does: metadata instructions change the
 * image config and add `empty_layer` history; RUN, COPY, ADD and WORKDIR each add one layer,
 * looked up in the cache first (see step-cache.ts) and otherwise made in a writable snapshot
 * committed in place. The target stage's state becomes the image.
 *
 * A lease protects every layer the build uses or makes until the image is recorded; a
 * failure records nothing but the cache entries of the steps that did complete (as BuildKit
 * keeps them), and removes every scratch mount and snapshot it made.
 */
import { posix } from 'node:path';
import { rmSync } from 'node:fs';
import { fromUntranslatedError, invalidArgument, isStrataError, notFound, StrataError } from '../../errdefs/index.ts';
import { BuildCacheRecords, inTransaction, LeaseRecords } from '../../metadata/index.ts';
import {
  chainIds, familiarString, formatReference, hostPlatform, parsePlatform, parseReference, withDefaultTag, type Digest, type ImageConfig,
} from '../../oci/index.ts';
import { prepareContext, type PreparedContext } from '../context/build-context.ts';
import type { ContextFs } from '../context/context-fs.ts';
import { hasWildcards } from '../context/glob.ts';
import {
  automaticArgs, isDockerfileError, parseDockerfile, parseTrigger, resolveGlobalScope, resolveStageBase,
  type Dockerfile, type Instruction, type Platform as DfPlatform, type Stage,
} from '../dockerfile/index.ts';
import { newBuildId, recordBuild } from '../build-history.ts';
import type { BuildHost, BuildOptions, BuildResult, StepReport } from '../build-types.ts';
import { BuildError } from '../build-error.ts';
import { withSuggestion } from '../dockerfile/errors.ts';
import type { Progress, Vertex } from '../progress.ts';
import { exportImage } from './export-image.ts';
import { dispatchInstruction } from './dispatch.ts';
import type { DispatchContext, ResolvedImage, SolveSession } from './solve-session.ts';
import { StageState, type LayerRef } from './stage-state.ts';
import { baseKey, StepCache } from './step-cache.ts';
import { makeScratch, type StepSpace } from './workspace.ts';
import { runtimeStatesDeleted } from './run-container.ts';
import { findStageRef, type StagePlan, type StageResult } from './stage-plan.ts';

export type { StagePlan, StageResult };

function toDfPlatform(p: { os: string; architecture: string; variant?: string }): DfPlatform {
  return { os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}) };
}

/**
 * Remembers the context's newly hashed files. Best effort: they are a cache, and a full disk
 * must neither fail a build over them nor hide why it failed (they are hashed again next time).
 */
function flushHashes(context: PreparedContext): void {
  try {
    context.hasher.flush();
  } catch {
    // Not remembered.
  }
}

function countSteps(instructions: readonly Instruction[]): number {
  return instructions.filter((i) => i.kind === 'RUN' || i.kind === 'COPY' || i.kind === 'ADD' || i.kind === 'WORKDIR').length;
}

export class Builder implements SolveSession {
  readonly host: BuildHost;
  readonly options: BuildOptions;
  readonly progress: Progress;
  readonly cache: StepCache;
  readonly reports: StepReport[] = [];
  readonly scratch: string;
  private readonly leases: LeaseRecords;
  private leaseId: string | undefined;
  private readonly stageTasks = new Map<StagePlan, Promise<StageResult>>();
  private readonly imageTasks = new Map<string, Promise<ResolvedImage>>();
  plans: StagePlan[] = [];
  df!: Dockerfile;
  context!: PreparedContext;
  globalArgs: Map<string, string> = new Map();
  buildArgs: ReadonlyMap<string, string>;
  readonly platform = hostPlatform();

  constructor(host: BuildHost, options: BuildOptions) {
    this.host = host;
    this.options = options;
    this.progress = options.progress;
    this.cache = new StepCache(host.db, new BuildCacheRecords(host.db));
    this.leases = new LeaseRecords(host.db);
    this.buildArgs = options.buildArgs ?? new Map();
    this.scratch = makeScratch(host.root);
  }

  /** Keeps a layer (or, as `blob`, an image config) alive until the build ends. */
  protect(ref: string, kind: 'layer' | 'blob' = 'layer'): void {
    inTransaction(this.host.db, () => {
      this.leaseId ??= this.leases.create();
      this.leases.add(this.leaseId, kind, ref);
    });
  }

  get leaseHeld(): string | undefined {
    return this.leaseId;
  }

  /** Ends the build's lease (again, if the export's transaction did it already). */
  endLease(): void {
    const id = this.leaseId;
    if (id !== undefined) inTransaction(this.host.db, () => this.leases.release(id));
  }

  /**
   * Leases a stored layer for a cache hit, then checks it is still there, in one transaction:
   * a concurrent prune either removed it before (false: the step runs again) or sees the lease.
   */
  reuse(chainId: string): boolean {
    const { snapshotter, images } = this.host;
    return inTransaction(this.host.db, () => {
      this.protect(chainId);
      return snapshotter.stat(chainId)?.kind === 'committed' && images.layers.get(chainId) !== undefined;
    });
  }

  /** Where steps make their layers; each new layer is leased before its snapshot commits. */
  get space(): StepSpace {
    return { snapshotter: this.host.snapshotter, scratch: this.scratch, hold: (chainId) => this.protect(chainId) };
  }

  /**
   * Finds a stored image and leases its config and layers in one transaction, so a concurrent
   * `image prune -a` cannot take them from under the build once it has found them.
   */
  private leaseImage(ref: string): { id: Digest; config: ImageConfig } | undefined {
    const images = this.host.images;
    return inTransaction(this.host.db, () => {
      const id = images.lookup(ref);
      if (id === undefined) return undefined;
      const config = images.config(id);
      this.protect(id, 'blob');
      for (const chainId of chainIds(config.rootfs.diff_ids)) this.protect(chainId);
      return { id, config };
    });
  }

  private dockerfileDetails(lines?: { start: number; end: number }): { dockerfile: { name: string; text: string }; lines?: { start: number; end: number } } {
    const text = this.context?.dockerfile.text.toString('utf8') ?? '';
    return { dockerfile: { name: this.context?.dockerfile.name ?? 'Dockerfile', text }, ...(lines ? { lines } : {}) };
  }

  /** Wraps an error with the instruction's position (and the step's output) for the report. */
  failure(err: unknown, at: { line: number; endLine: number } | undefined, step?: { vertex: Vertex }): BuildError {
    if (err instanceof BuildError) return err;
    const code = isStrataError(err) ? err.code : 'internal';
    let message = err instanceof Error ? err.message : String(err);
    if (isDockerfileError(err)) {
      const loc = err.location;
      return new BuildError('invalid-argument', message, this.dockerfileDetails(loc.line !== undefined ? { start: loc.line, end: loc.endLine ?? loc.line } : undefined), { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
    }
    if (!(err instanceof StrataError)) {
      // A system error no step translated (SQLite's full disk) is named by its call and path.
      const translated = fromUntranslatedError(err, this.host.db.name);
      if (translated !== undefined) return this.failure(translated, at, step);
    }
    if (code === 'internal' && !(err instanceof StrataError)) message = `internal error: ${message}`;
    return new BuildError(code, message, {
      ...(step ? { step: step.vertex.name, logs: this.progress.lastLines(step.vertex, 12) } : {}),
      ...this.dockerfileDetails(at ? { start: at.line, end: at.endLine } : undefined),
    }, { cause: err, ...(isStrataError(err) && err.hint ? { hint: err.hint } : {}) });
  }

  async run(): Promise<BuildResult> {
    const startedAt = Date.now();
    try {
      const result = await this.solve();
      this.endLease();
      this.remember(startedAt, { tags: result.tags, imageId: result.imageId });
      return result;
    } catch (err) {
      if (this.options.signal?.aborted !== true) this.remember(startedAt, { tags: (this.options.tags ?? []).map((t) => familiarString(withDefaultTag(t))), error: err instanceof Error ? err.message : String(err) });
      try {
        this.endLease();
      } catch {
        // On a full disk: the build's own error is the one to tell; a dead process's lease goes with the next collection.
      }
      throw err;
    } finally {
      this.context?.cleanup();
      await runtimeStatesDeleted();
      rmSync(this.scratch, { recursive: true, force: true });
    }
  }

  /** Records the build's steps for `strata ui` (never fails the build; a canceled one is not kept). */
  private remember(startedAt: number, outcome: { tags: string[]; imageId?: string; error?: string }): void {
    recordBuild(this.host.root, {
      id: newBuildId(), startedAt, durationMs: Date.now() - startedAt, ...outcome,
      steps: this.reports.map((r) => ({ name: r.name, cached: r.cached, ...(r.reason !== undefined ? { reason: r.reason } : {}), durationMs: r.durationMs })),
    });
  }

  private async solve(): Promise<BuildResult> {
    const o = this.options;
    // The Dockerfile and the context.
    const defName = o.dockerfile.kind === 'text' ? o.dockerfile.name : o.dockerfile.path;
    const load = this.progress.start(`[internal] load build definition from ${posix.basename(defName)}`);
    try {
      this.context = await prepareContext(this.host, o.context, o.dockerfile);
    } catch (err) {
      this.progress.fail(load, (err as Error).message);
      throw err;
    }
    this.progress.status(load, `transferring dockerfile: ${this.context.dockerfile.text.length}B done`);
    this.progress.done(load);
    if (this.context.fs !== undefined) {
      const ign = this.progress.start('[internal] load .dockerignore');
      this.progress.status(ign, `transferring context: ${this.context.ignorePatterns === 0 ? 2 : this.context.ignorePatterns}B done`);
      this.progress.done(ign);
    }
    try {
      this.df = parseDockerfile(this.context.dockerfile.text, { file: this.context.dockerfile.name });
    } catch (err) {
      throw this.failure(err, undefined);
    }
    if (this.df.check?.error === true && this.df.warnings.length > 0) {
      const w = this.df.warnings[0];
      throw this.failure(invalidArgument(`lint violation found for rules: ${[...new Set(this.df.warnings.map((x) => x.rule))].join(', ')}`), w ? { line: w.location.line, endLine: w.location.endLine } : undefined);
    }

    // Platforms: native only.
    if (o.sourceDateEpoch !== undefined && !this.buildArgs.has('SOURCE_DATE_EPOCH')) {
      this.buildArgs = new Map([...this.buildArgs, ['SOURCE_DATE_EPOCH', String(o.sourceDateEpoch)]]);
    }
    const target = this.resolveTargetName();
    const auto = automaticArgs({ buildPlatform: toDfPlatform(this.platform), targetPlatform: toDfPlatform(this.platform), targetStage: target, buildArgs: this.buildArgs });
    try {
      this.globalArgs = resolveGlobalScope(this.df.metaArgs, auto, this.buildArgs, this.df.escapeToken).args;
      this.plans = this.planStages();
    } catch (err) {
      throw this.failure(err, undefined);
    }
    const targetPlan = this.findTarget(target);

    // Start every stage the target needs now, so independent ones run at once.
    const needed = new Set<StagePlan>();
    const visit = (p: StagePlan): void => {
      if (needed.has(p)) return;
      needed.add(p);
      if (p.base.kind === 'stage') visit(p.base.plan);
      for (const d of p.deps) visit(d);
    };
    visit(targetPlan);
    this.preflight(needed);
    // Images that COPY --from and RUN --mount=from name are resolved (pulled) meanwhile.
    for (const p of needed) for (const ref of p.imageDeps) void this.image(ref).catch(() => undefined);
    for (const p of needed) void this.stageResult(p).catch(() => undefined);
    let result: StageResult;
    try {
      result = await this.stageResult(targetPlan);
      // A failure in another needed stage fails the build too.
      await Promise.all([...needed].map((p) => this.stageResult(p)));
    } finally {
      // Let every started stage settle, so nothing is still mounted when we clean up.
      await Promise.allSettled([...this.stageTasks.values()]);
      flushHashes(this.context);
    }
    const exported = await exportImage(this, result.state);
    const warnings = this.df.warnings.map((w) => ({ rule: w.rule, message: w.message, line: w.location.line }));
    return { imageId: exported.id, tags: exported.tags, steps: this.reports, warnings };
  }

  /**
   * Fails before anything runs when a COPY or ADD of a needed stage names a context path that
   * is not there (BuildKit finds it while computing cache keys, before running the steps).
   * Paths with variables or wildcards are checked when their step is reached.
   */
  private preflight(needed: ReadonlySet<StagePlan>): void {
    const fs = this.context.fs;
    for (const plan of [...needed].sort((a, b) => a.index - b.index)) {
      for (const inst of plan.stage.instructions) {
        if ((inst.kind !== 'COPY' && inst.kind !== 'ADD') || (inst.kind === 'COPY' && inst.from !== undefined)) continue;
        if (inst.kind === 'COPY' && inst.parents) continue;
        for (const src of inst.sources) {
          if (src.includes('$') || hasWildcards(src) || /^https?:\/\//.test(src) || /^git@|\.git(#.*)?$/.test(src)) continue;
          const path = posix.join('/', src);
          if (fs !== undefined && fs.resolve(path.slice(1)) !== undefined) continue;
          throw this.failure(notFound(`failed to compute cache key: "${path}": not found`, fs === undefined
            ? { hint: 'the Dockerfile came on stdin without a context: give a context directory to COPY from' }
            : {}), { line: inst.location.line, endLine: inst.location.endLine });
        }
      }
    }
  }

  private resolveTargetName(): string {
    const t = this.options.target;
    if (t !== undefined && t !== '') return t;
    return this.df.stages.at(-1)?.name ?? '';
  }

  private findTarget(name: string): StagePlan {
    if (this.options.target === undefined || this.options.target === '') return this.plans.at(-1) as StagePlan;
    const plan = this.plans.find((p) => p.stage.name === this.options.target?.toLowerCase());
    if (plan === undefined) {
      const names = this.plans.map((p) => p.stage.name).filter((n): n is string => n !== undefined);
      throw new BuildError('invalid-argument', withSuggestion(`target stage "${name}" could not be found`, name, names, true), {},
        names.length > 0 ? { hint: `the Dockerfile's named stages are: ${names.join(', ')}` } : {});
    }
    return plan;
  }

  private planStages(): StagePlan[] {
    const plans: StagePlan[] = [];
    const stages = this.df.stages;
    const filter = new Set((this.options.noCacheFilter ?? []).map((s) => s.toLowerCase()));
    for (const stage of stages) {
      const base = resolveStageBase(stage, this.globalArgs, this.df.escapeToken);
      if (base.platform !== undefined) this.checkPlatform(base.platform, stage);
      const baseStage = plans.find((p) => p.stage.name !== undefined && p.stage.name === base.baseName);
      const plan: StagePlan = {
        stage,
        index: stage.index,
        displayName: stages.length === 1 ? '' : stage.name ?? `stage-${stage.index}`,
        base: baseStage !== undefined ? { kind: 'stage', plan: baseStage } : base.baseName === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref: base.baseName },
        deps: [],
        imageDeps: [],
        total: 0,
        noCache: this.options.noCache === true || (stage.name !== undefined && filter.has(stage.name)),
      };
      plan.total = (plan.base.kind === 'image' ? 1 : 0) + countSteps(stage.instructions);
      plans.push(plan);
      for (const inst of stage.instructions) {
        const froms: string[] = [];
        if (inst.kind === 'COPY' && inst.from !== undefined) froms.push(inst.from);
        if (inst.kind === 'RUN') for (const m of inst.mounts) if (m.parsed !== undefined && m.parsed.from !== '') froms.push(m.parsed.from);
        for (const from of froms) {
          let ref;
          try {
            ref = findStageRef(plans, from, stage.index);
          } catch (err) {
            throw this.failure(err, { line: inst.location.line, endLine: inst.location.endLine });
          }
          if ('image' in ref) {
            if (!plan.imageDeps.includes(ref.image)) plan.imageDeps.push(ref.image);
          } else if (!plan.deps.includes(ref)) {
            plan.deps.push(ref);
          }
        }
      }
    }
    // A stage cannot depend on itself through its base chain and copies (indices only go down).
    return plans;
  }

  private checkPlatform(spec: string, stage: Stage): void {
    let p;
    try {
      p = parsePlatform(spec);
    } catch (err) {
      throw this.failure(invalidArgument(`failed to parse platform ${spec}: ${(err as Error).message}`), { line: stage.location.line, endLine: stage.location.endLine });
    }
    if (p.os !== this.platform.os || p.architecture !== this.platform.architecture || (p.variant ?? '') !== (this.platform.variant ?? '')) {
      throw this.failure(invalidArgument(`strata builds only for the native platform (${this.platformText()}), not ${spec}`, {
        hint: 'strata has no emulation for other architectures: build on a machine of that platform',
      }), { line: stage.location.line, endLine: stage.location.endLine });
    }
  }

  platformText(): string {
    return `${this.platform.os}/${this.platform.architecture}${this.platform.variant ? `/${this.platform.variant}` : ''}`;
  }

  /** The result of a stage, building it on first request. */
  stageResult(plan: StagePlan): Promise<StageResult> {
    let task = this.stageTasks.get(plan);
    if (task === undefined) {
      task = this.buildStage(plan);
      this.stageTasks.set(plan, task);
      task.catch(() => undefined);
    }
    return task;
  }

  /**
   * An image by reference: stored (pulled first when missing, or always with `--pull`),
   * its layers extracted and protected.
   */
  image(ref: string): Promise<ResolvedImage> {
    const normalized = formatReference(withDefaultTag(parseReference(ref)));
    let task = this.imageTasks.get(normalized);
    if (task === undefined) {
      task = (async () => {
        let found = this.options.pull === true ? undefined : this.leaseImage(normalized);
        if (found === undefined) {
          const pulled = await this.host.pull(withDefaultTag(parseReference(ref)));
          // The pull's own lease ends when it returns: a prune may have taken the image since.
          found = this.leaseImage(pulled);
          if (found === undefined) throw notFound(`image ${ref} was removed while the build was starting`);
        }
        const { id, config } = found;
        const chains = await this.host.ensureExtracted(id);
        const layers: LayerRef[] = chains.map((chainId, i) => {
          const row = this.host.images.layers.get(chainId);
          if (row === undefined) throw notFound(`image ${id}: layer ${chainId} is not recorded`);
          return { chainId, diffId: (config.rootfs.diff_ids[i] ?? row.diffId) as Digest, size: row.size, tarSize: row.tarSize };
        });
        return { id, config, layers };
      })();
      this.imageTasks.set(normalized, task);
      task.catch(() => undefined);
    }
    return task;
  }

  private async buildStage(plan: StagePlan): Promise<StageResult> {
    const stage = plan.stage;
    const ctx: DispatchContext = { builder: this, plan, index: 0 };
    let state: StageState;
    let triggers: string[] = [];
    if (plan.base.kind === 'stage') {
      const base = plan.base.plan;
      state = (await this.stageResult(base)).state.clone();
      triggers = base.stage.instructions.filter((i) => i.kind === 'ONBUILD').map((i) => (i.kind === 'ONBUILD' ? i.expression : ''));
    } else if (plan.base.kind === 'scratch') {
      const empty: ImageConfig = {
        architecture: this.platform.architecture, os: this.platform.os, ...(this.platform.variant ? { variant: this.platform.variant } : {}),
        config: { Env: [`PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`], WorkingDir: '/' },
        rootfs: { type: 'layers', diff_ids: [] },
      };
      state = StageState.fromImage(empty, [], baseKey({ scratch: this.platformText() }));
    } else {
      const ref = plan.base.ref;
      let full: string;
      try {
        full = formatReference(withDefaultTag(parseReference(ref)));
      } catch (err) {
        throw this.failure(invalidArgument(`failed to parse stage name "${ref}": invalid reference format`, { cause: err }), { line: stage.location.line, endLine: stage.location.endLine });
      }
      const v = this.progress.start(`${this.prefix(ctx)}FROM ${full}`);
      let img;
      try {
        const known = this.options.pull !== true && this.host.images.lookup(full) !== undefined;
        img = await this.image(ref);
        if (known) this.progress.cached(v);
        else this.progress.done(v);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        this.progress.fail(v, why);
        const code = isStrataError(err) ? err.code : 'internal';
        throw this.failure(new StrataError(code === 'internal' ? 'not-found' : code, `failed to resolve source metadata for ${full}: ${why}`, { cause: err }), { line: stage.location.line, endLine: stage.location.endLine });
      }
      if (img.config.os !== '' && (img.config.os !== this.platform.os || img.config.architecture !== this.platform.architecture)) {
        throw this.failure(invalidArgument(`image ${full} is for ${img.config.os}/${img.config.architecture}, not the native platform ${this.platformText()}`), { line: stage.location.line, endLine: stage.location.endLine });
      }
      state = StageState.fromImage(img.config, img.layers, baseKey({ imageId: img.id }));
      triggers = img.config.config?.OnBuild ?? [];
    }
    // The base image's working directory, as BuildKit normalises it (no layer).
    const wd = state.config.config?.WorkingDir;
    if (wd !== undefined && wd !== '') state.defaults.WorkingDir = posix.normalize(wd.startsWith('/') ? wd : `/${wd}`);

    const instructions: { inst: Instruction; onbuild: boolean }[] = [];
    for (const t of triggers) {
      let inst: Instruction;
      try {
        inst = parseTrigger(t, this.df.file);
      } catch (err) {
        throw this.failure(err, { line: stage.location.line, endLine: stage.location.endLine });
      }
      instructions.push({ inst: { ...inst, location: stage.location }, onbuild: true });
    }
    plan.total += instructions.length;
    for (const inst of stage.instructions) instructions.push({ inst, onbuild: false });

    for (const { inst, onbuild } of instructions) {
      this.options.signal?.throwIfAborted();
      await dispatchInstruction(ctx, state, inst, onbuild);
    }
    return { state };
  }

  /** `[stage 2/5] ` before a step's name (and counts the step). */
  prefix(ctx: DispatchContext, onbuild = false): string {
    const plan = ctx.plan;
    if (plan.total === 0) return '';
    ctx.index++;
    const width = Math.floor(1 + Math.log10(plan.total));
    return `[${plan.displayName === '' ? '' : `${plan.displayName} `}${String(ctx.index).padStart(width)}/${plan.total}] ${onbuild ? 'ONBUILD ' : ''}`;
  }

  /** A read-only tree of the context (errors as BuildKit's when there is none). */
  contextFs(): ContextFs | undefined {
    return this.context.fs;
  }
}

/** Runs a build. */
export async function build(host: BuildHost, options: BuildOptions): Promise<BuildResult> {
  return new Builder(host, options).run();
}

