/**
 * The JSON `strata ui`'s server sends and this app reads: the one definition of that
 * contract. The server (src/ui/api-types.ts) re-exports it through the package's name, types
 * only, so nothing of the app's code reaches the server and the two cannot drift.
 */
export interface ImageRow {
  id: string;
  /** `repo:tag` names, `<none>:<none>` rows have none. */
  repoTags: string[];
  repoDigests: string[];
  /** Seconds since the epoch. */
  created: number;
  size: number;
  /** Bytes of layers other images use too. */
  sharedSize: number;
  /** Bytes of layers only this image uses: what `rmi` would free. */
  uniqueSize: number;
  containers: number;
  layers: number;
  labels: Record<string, string>;
}

export interface LayerUser {
  id: string;
  name: string;
}

export interface StackLayer {
  /** The history entry's instruction (`created_by`). */
  createdBy: string;
  comment: string;
  created: number;
  /** Metadata-only history rows (ENV, CMD…) have no layer and 0 bytes. */
  emptyLayer: boolean;
  size: number;
  diffId: string | null;
  chainId: string | null;
  /** The other images that use this layer too. */
  sharedWith: LayerUser[];
}

export interface FileCount {
  files: number;
  bytes: number;
}

/** One layer as `image analyze` counts it (index 0 at the bottom, as the stack's layer rows). */
export interface AnalysisLayer {
  index: number;
  diffId: string;
  instruction: string;
  /** A layer of the base image. */
  base: boolean;
  stored: FileCount;
  added: FileCount;
  modified: FileCount;
  removed: FileCount;
  wastedBytes: number;
}

export interface AnalysisHint {
  kind: string;
  layer: number;
  /** The instruction that made the layer holding the bytes. */
  instruction: string;
  files: number;
  bytes: number;
  paths: string[];
  message: string;
}

export interface AnalysisDuplicate {
  sha256: string;
  /** Bytes of one copy. */
  size: number;
  copies: { layer: number; path: string }[];
}

/** What the layer analyzer (`image analyze`, src/insight/) says about an image; null where it could not run. */
export interface ImageAnalysis {
  efficiency: number;
  storedBytes: number;
  visibleBytes: number;
  wastedBytes: number;
  baseWastedBytes: number;
  userWastedBytes: number;
  duplicateBytes: number;
  /** The bottom `baseLayers` layers are the base image's, found as `baseSource` says. */
  baseLayers: number;
  baseSource: 'parent-image' | 'history' | 'none';
  layers: AnalysisLayer[];
  hints: AnalysisHint[];
  /** The largest savings first, at most 50. */
  duplicates: AnalysisDuplicate[];
  /** More duplicate groups than were sent. */
  duplicatesTruncated: boolean;
}

export interface ImageDetail {
  image: ImageRow;
  /** Bottom (base) first, as the layers stack. */
  stack: StackLayer[];
  config: { env: string[]; cmd: string[] | null; entrypoint: string[] | null; workingDir: string; user: string };
  analysis: ImageAnalysis | null;
  /** Why the analyzer could not read the image (a damaged layer…); null when it ran. */
  analysisError: string | null;
}

export interface SharingLayer {
  chainId: string;
  diffId: string;
  size: number;
  /** Images using it, as indexes into SharingView.images. */
  users: number[];
  /** Bytes saved by storing it once: size × (users − 1). */
  saved: number;
  createdBy: string;
}

export interface SharingView {
  images: LayerUser[];
  /** Only layers of more than one image, biggest saving first. */
  shared: SharingLayer[];
  totalSaved: number;
  layerCount: number;
}

export interface DiskPart {
  type: 'Images' | 'Containers' | 'Local Volumes' | 'Build Cache';
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

export interface TreemapLayer {
  chainId: string;
  size: number;
  /** The name of one image using it and its instruction, for the label. */
  image: string;
  createdBy: string;
}

export interface DiskView {
  parts: DiskPart[];
  layers: TreemapLayer[];
}

export type FileMark = 'A' | 'C' | 'D';

export interface TreeNode {
  name: string;
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** The entry's own bytes, or for a directory the bytes of everything under it in this layer. */
  size: number;
  /** A/C/D against the layers below; an opaque directory's hidden lower contents show as its D. */
  mark: FileMark;
  /**
   * Overwritten or deleted by a later layer of the image the explorer was opened from: the
   * final image cannot see this copy. Always false without an image.
   */
  hidden: boolean;
  children: number;
  linkname: string;
}

export interface TreeListing {
  chainId: string;
  path: string;
  entries: TreeNode[];
  /** Files in the layer, for the header. */
  fileCount: number;
  totalSize: number;
}

export interface SearchResult {
  chainId: string;
  query: string;
  matches: TreeNode[];
  /** More matched than were sent. */
  truncated: boolean;
}

export interface ContainerRow {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  created: number;
  sizeRw: number;
}

export interface ContainerChanges {
  id: string;
  changes: { kind: FileMark; path: string }[];
  truncated: boolean;
  sizeRw: number;
}

export interface BuildCacheRow {
  id: string;
  type: string;
  description: string;
  size: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  lastUsedAt: number;
  usageCount: number;
  shared: boolean;
}

/** A recent build and its steps, newest first (the builder keeps the last 50). */
export interface RecentBuild {
  id: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  durationMs: number;
  tags: string[];
  imageId?: string;
  /** The failed build's error message. */
  error?: string;
  steps: RecentBuildStep[];
}

export interface RecentBuildStep {
  /** `[2/3] COPY app.txt /app/` */
  name: string;
  cached: boolean;
  /** Why the step missed the cache. */
  reason?: string;
  durationMs: number;
}

export interface DiffFile {
  /** A: only in B; C: in both, different; D: only in A. */
  kind: FileMark;
  path: string;
  type: string;
  sizeA?: number;
  sizeB?: number;
}

export interface DiffConfig {
  field: string;
  key?: string;
  /** The value in A and in B; null where unset. */
  a: string | string[] | null;
  b: string | string[] | null;
}

/** `image diff A B` (src/insight/image-diff.ts), its file list cut to a size a page can show. */
export interface ImageDiffView {
  a: { ref: string; id: string; layers: number };
  b: { ref: string; id: string; layers: number };
  /** diff_ids of the bottom layers both images have. */
  sharedLayers: string[];
  files: DiffFile[];
  /** How many files changed in all (files holds at most 2000 of them). */
  fileCount: number;
  config: DiffConfig[];
  history: { onlyA: string[]; onlyB: string[] };
}

export interface ApiError {
  message: string;
}
