/** `builder prune` for both front ends: the build cache records, then the garbage they held. */
import { pruneBuildCache } from '../builder/index.ts';
import type { Engine } from './engine.ts';

/** Prunes the build cache (`all`: shared entries too) and collects what it held; IDs removed and bytes freed. */
export function pruneBuildCacheAndCollect(engine: Engine, all: boolean): { removed: string[]; reclaimed: number } {
  const result = pruneBuildCache(engine, { all });
  const collected = engine.collectGarbage();
  return { removed: result.removed, reclaimed: result.reclaimedMounts + collected.reclaimedBytes };
}
