/**
 * Layer insight: what each layer of an image stores, what the final image can see, what is
 * wasted or duplicated, and how two images differ. See insight.ts for the service.
 */
export * from './analysis-types.ts';
export { analyzeLayers } from './analysis.ts';
export type { AnalysisInput, HistoryEntry } from './analysis.ts';
export * from './ci-rules.ts';
export type { ConfigChange, FileChange, ImageDiff } from './image-diff.ts';
export type { ImageInput, InputLayer } from './image-input.ts';
export { Insight } from './insight.ts';
export type { AnalyzeOptions, InsightServices } from './insight.ts';
export { layerCacheDir, LayerScanCache } from './layer-cache.ts';
export { scanLayer, scanLayerTable } from './layer-scan.ts';
export { ScanTable } from './scan-table.ts';
export { layerView } from './layer-view.ts';
export type { LayerFile } from './layer-view.ts';
export type { EntryKind, LayerEntry, LayerScan } from './layer-scan.ts';
