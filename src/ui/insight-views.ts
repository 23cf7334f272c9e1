/**
 * The analyzer's answers as the web app reads them: `image analyze` and `image diff`
 * (src/insight/) cut to what a page shows. The numbers are insight's own; nothing here
 * counts bytes again.
 */
import type { Engine } from '../engine/index.ts';
import type { Insight } from '../insight/index.ts';
import type { AnalysisSource } from './analysis-slot.ts';
import type { ImageAnalysis, ImageDiffView } from './api-types.ts';

/** Duplicate groups and changed files sent at most: a page lists them, it does not page them. */
export const ANALYSIS_LIST_LIMIT = 50;
export const DIFF_FILE_LIMIT = 2000;

/** One Insight for the server's life: it keeps no per-request state, its layer cache is on disk. */
export function insightOf(engine: Engine): () => Promise<Insight> {
  let insight: Promise<Insight> | undefined;
  return () => (insight ??= engine.insight());
}

export function insightAnalysis(insight: () => Promise<Insight>): AnalysisSource {
  return async (imageId) => {
    const a = await (await insight()).analyzeImage(imageId);
    return {
      efficiency: a.totals.efficiency,
      storedBytes: a.totals.storedBytes,
      visibleBytes: a.totals.visibleBytes,
      wastedBytes: a.totals.wastedBytes,
      baseWastedBytes: a.totals.baseWastedBytes,
      userWastedBytes: a.totals.userWastedBytes,
      duplicateBytes: a.totals.duplicateBytes,
      baseLayers: a.base.layers,
      baseSource: a.base.source,
      layers: a.layers.map((l) => ({
        index: l.index,
        diffId: l.diffId,
        instruction: l.instruction,
        base: l.base,
        stored: l.stored,
        added: l.added,
        modified: l.modified,
        removed: l.removed,
        wastedBytes: l.wastedBytes,
      })),
      hints: a.hints.map((h) => ({ kind: h.kind, layer: h.layer, instruction: h.instruction, files: h.files, bytes: h.bytes, paths: h.paths, message: h.message })),
      duplicates: a.duplicates.slice(0, ANALYSIS_LIST_LIMIT),
      duplicatesTruncated: a.duplicates.length > ANALYSIS_LIST_LIMIT,
    } satisfies ImageAnalysis;
  };
}

/** `image diff A B` for the diff view. @throws not-found naming the image that is missing */
export async function imageDiffView(insight: Insight, a: string, b: string): Promise<ImageDiffView> {
  const d = await insight.diffImages(a, b);
  return {
    a: d.a,
    b: d.b,
    sharedLayers: d.sharedLayers,
    files: d.files.slice(0, DIFF_FILE_LIMIT),
    fileCount: d.files.length,
    config: d.config,
    history: d.history,
  };
}
