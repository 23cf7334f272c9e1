/**
 * The JSON the web app reads from `strata ui`'s server. packages/ui-web/src/api-types.ts holds
 * the same declarations for the browser side (a package cannot import src/);
 * test/unit/ui-api-types.test.ts keeps the two identical below this comment.
 */
// --- contract ---
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

/**
 * What the layer analyzer (`image analyze`) says about an image, once it is wired in:
 * null until then. The app shows a placeholder where these numbers go.
 */
export interface ImageAnalysis {
  efficiency: number;
  wastedBytes: number;
  userWastedBytes: number;
  hints: { instruction: string; text: string }[];
}

export interface ImageDetail {
  image: ImageRow;
  /** Bottom (base) first, as the layers stack. */
  stack: StackLayer[];
  config: { env: string[]; cmd: string[] | null; entrypoint: string[] | null; workingDir: string; user: string };
  analysis: ImageAnalysis | null;
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

export interface ApiError {
  message: string;
}
