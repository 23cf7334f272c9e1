/**
 * What the steps of a build (dispatch, RUN mounts, the export) see of the running build: its
 * inputs, progress, cache and scratch space, and the stages and images they may read from.
 * The Builder provides it. Declared apart from builder.ts so that the Builder and the step code
 * it calls do not import each other.
 */
import type { Digest, ImageConfig } from '../../oci/index.ts';
import type { PreparedContext } from '../context/build-context.ts';
import type { ContextFs } from '../context/context-fs.ts';
import type { Dockerfile } from '../dockerfile/index.ts';
import type { BuildHost, BuildOptions, StepReport } from '../build-types.ts';
import type { BuildError } from '../build-error.ts';
import type { Progress, Vertex } from '../progress.ts';
import type { StagePlan, StageResult } from './stage-plan.ts';
import type { LayerRef } from './stage-state.ts';
import type { StepCache } from './step-cache.ts';
import type { StepSpace } from './workspace.ts';

/** An image a stage starts from or reads from: stored, its layers extracted and leased. */
export interface ResolvedImage {
  id: Digest;
  config: ImageConfig;
  layers: LayerRef[];
}

export interface SolveSession {
  readonly host: BuildHost;
  readonly options: BuildOptions;
  readonly progress: Progress;
  readonly cache: StepCache;
  readonly reports: StepReport[];
  readonly scratch: string;
  readonly plans: readonly StagePlan[];
  readonly df: Dockerfile;
  readonly context: PreparedContext;
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly buildArgs: ReadonlyMap<string, string>;
  /** Where steps make their layers; each new layer is leased before its snapshot commits. */
  readonly space: StepSpace;
  /** Keeps a layer (or, as `blob`, an image config) alive until the build ends. */
  protect(ref: string, kind?: 'layer' | 'blob'): void;
  /** The build's lease, once it took one. */
  readonly leaseHeld: string | undefined;
  /**
   * Ends the build's lease. The export calls it in the transaction that records the image
   * (which keeps what the lease kept), so that no write of its own is left for a full disk.
   */
  endLease(): void;
  /** Leases a cached layer and says whether it is still stored (false: run the step again). */
  reuse(chainId: string): boolean;
  /** Wraps an error with the instruction's position (and the step's output) for the report. */
  failure(err: unknown, at: { line: number; endLine: number } | undefined, step?: { vertex: Vertex }): BuildError;
  /** `[stage 2/5] ` before a step's name (and counts the step). */
  prefix(ctx: DispatchContext, onbuild?: boolean): string;
  /** The result of a stage, building it on first request. */
  stageResult(plan: StagePlan): Promise<StageResult>;
  /** An image by reference, pulled when missing (or always with `--pull`). */
  image(ref: string): Promise<ResolvedImage>;
  /** A read-only tree of the context, if the build has one. */
  contextFs(): ContextFs | undefined;
}

/** Where dispatch is: the build, the stage, and the steps numbered so far (`[n/total]`). */
export interface DispatchContext {
  builder: SolveSession;
  plan: StagePlan;
  /** Steps numbered so far (`[n/total]`). */
  index: number;
}
