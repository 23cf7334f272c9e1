/**
 * What `image analyze` finds, as plain data: the schema `--format json` prints (documented
 * in docs/INSIGHT.md; fields are only ever added). Sizes are bytes of file bodies (regular
 * files), not of tar headers.
 */

export interface FileCount {
  files: number;
  bytes: number;
}

export interface LayerAnalysis {
  /** 0 for the bottom layer. */
  index: number;
  diffId: string;
  /** The history instruction that made the layer (`RUN /bin/sh -c apt-get update # buildkit`), '' when unknown. */
  instruction: string;
  /** RFC 3339, from the history entry ('' when unknown). */
  created: string;
  /** True for the layers of the base image (see `ImageAnalysis.base`). */
  base: boolean;
  /** Bytes of the layer's uncompressed tar. */
  tarBytes: number;
  /** Non-directory entries the layer stores, and their body bytes. */
  stored: FileCount;
  /** Paths that did not exist below this layer. */
  added: FileCount;
  /** Paths this layer replaced (the bytes are the new bodies). */
  modified: FileCount;
  /** Visible files this layer removed with whiteouts or opaque directories (the bytes are theirs). */
  removed: FileCount;
  /** Bytes this layer stores that the final image cannot see. */
  wastedBytes: number;
  /** Bytes this layer stores that stay visible. */
  visibleBytes: number;
  /** Its largest files (at most 5), largest first. */
  biggest: { path: string; size: number }[];
}

export interface HistoryAnalysis {
  created: string;
  createdBy: string;
  comment: string;
  /** Metadata-only rows (ENV, CMD…): no layer, 0 bytes. */
  emptyLayer: boolean;
  /** The layer this row made, or null. */
  layer: number | null;
  /** Body bytes of that layer (0 for metadata-only rows). */
  size: number;
}

export interface WastedFile {
  path: string;
  /** The layer storing the hidden body. */
  layer: number;
  size: number;
  /** `overwritten` by a later entry at the same path, `removed` by a whiteout, hidden by an `opaque` directory. */
  reason: 'overwritten' | 'removed' | 'opaque';
  /** The layer that hid it. */
  byLayer: number;
}

export interface DuplicateGroup {
  sha256: string;
  /** Bytes of one copy. */
  size: number;
  copies: { layer: number; path: string }[];
}

export type HintKind = 'apt-lists' | 'apt-cache' | 'apk-cache' | 'npm-cache' | 'pip-cache' | 'git' | 'added-then-removed';

export interface Hint {
  kind: HintKind;
  /** The layer that stores the bytes, and the instruction that made it. */
  layer: number;
  instruction: string;
  files: number;
  bytes: number;
  /** Up to 5 of the paths concerned. */
  paths: string[];
  message: string;
}

export interface ImageAnalysis {
  schemaVersion: 1;
  image: {
    /** What was asked for: `alpine:3`, `docker-archive:/tmp/a.tar`. */
    ref: string;
    /** The config digest (the image ID). */
    id: string;
    source: 'store' | 'docker-archive' | 'oci';
  };
  base: {
    /** The bottom `layers` layers are the base image's. */
    layers: number;
    /** How they were told apart: a parent image in the store, the history's dates, or none found. */
    source: 'parent-image' | 'history' | 'none';
    /** The parent image found in the store (`parent-image` only). */
    parent?: string;
  };
  totals: {
    layers: number;
    /** Body bytes stored in all layers. */
    storedBytes: number;
    /** Body bytes visible in the final tree. */
    visibleBytes: number;
    visibleFiles: number;
    /** storedBytes − visibleBytes. */
    wastedBytes: number;
    baseWastedBytes: number;
    userWastedBytes: number;
    /** Body bytes stored in the user's (non-base) layers. */
    userStoredBytes: number;
    /** userWastedBytes ÷ userStoredBytes (0 when the user stored nothing). */
    userWastedPercent: number;
    /** visibleBytes ÷ storedBytes (1 for an image that stores nothing). */
    efficiency: number;
    /** Bytes a file-level dedup would save inside this image. */
    duplicateBytes: number;
  };
  layers: LayerAnalysis[];
  history: HistoryAnalysis[];
  /** Every hidden body, largest first. */
  wasted: WastedFile[];
  /** Bodies stored more than once (at other paths or in other layers), most bytes saved first. */
  duplicates: DuplicateGroup[];
  hints: Hint[];
  /** With `--all`: duplicate bodies across every layer of the store. */
  store?: StoreDuplicates;
}

export interface StoreDuplicates {
  images: number;
  layers: number;
  /** Body bytes stored in all the store's layers (each layer once). */
  storedBytes: number;
  /** What a file-level dedup of the whole store would save. */
  duplicateBytes: number;
  /** The largest savings (at most 20). */
  groups: { sha256: string; size: number; copies: number; layers: string[] }[];
}
