/**
 * diff/: pure filesystem work on layers, no database. Apply a layer blob to a directory
 * (`applyLayer`), turn a changed tree back into a layer tar (`diffOverlayUpper`,
 * `diffDirectories`), and compress or decompress blobs. Every function reports the layer's
 * diff_id, docker's size and the tar size, computed in the same pass as the work.
 */
export { applyLayer } from './apply.ts';
export type { ApplyLayerOptions, LayerSource, LayerStats, WhiteoutMode } from './apply.ts';
export { diffDirectories, diffOverlayUpper } from './diff.ts';
export type { DiffDirectoriesOptions, DiffOverlayUpperOptions } from './diff.ts';
export { compress, decompress, detectCompression, GZIP_LEVEL, sniffCompression, ZSTD_LEVEL } from './compression.ts';
export type { Compression, Decompressed, SniffedCompression } from './compression.ts';
