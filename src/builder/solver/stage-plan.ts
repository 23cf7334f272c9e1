/**
 * The stages of a Dockerfile as the solver plans them: each with its base (an earlier stage,
 * an image or scratch) and the stages and images it reads from.
 */
import { invalidArgument } from '../../errdefs/index.ts';
import type { Stage } from '../dockerfile/index.ts';
import type { StageState } from './stage-state.ts';

/** A stage of the Dockerfile with its base resolved against the earlier stages. */
export interface StagePlan {
  stage: Stage;
  index: number;
  /** The name in vertex prefixes: '' when the Dockerfile has one stage, else the AS name or `stage-N`. */
  displayName: string;
  base: { kind: 'stage'; plan: StagePlan } | { kind: 'image'; ref: string } | { kind: 'scratch' };
  /** Stages this one reads from (COPY --from, RUN --mount=from), known before it runs. */
  deps: StagePlan[];
  /** Image references COPY --from and RUN --mount=from name. */
  imageDeps: string[];
  /** Steps shown as `[n/total]`. */
  total: number;
  noCache: boolean;
}

export interface StageResult {
  state: StageState;
}

/** Where a `--from` or `from=` value points: a stage (by name or index) or an image. */
export function findStageRef(plans: readonly StagePlan[], from: string, current: number): StagePlan | { image: string } {
  if (/^\d+$/.test(from)) {
    const index = Number(from);
    const plan = plans[index];
    if (plan === undefined || index >= current) throw invalidArgument(`invalid stage index ${from}`);
    return plan;
  }
  const lower = from.toLowerCase();
  const plan = plans.find((p) => p.stage.name === lower);
  if (plan !== undefined) {
    if (plan.index >= current) {
      throw invalidArgument(`cannot copy from stage "${from}", it needs to be defined before current stage "${plans[current]?.displayName || `stage-${current}`}"`);
    }
    return plan;
  }
  return { image: from };
}

