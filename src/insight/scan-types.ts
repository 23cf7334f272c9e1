/** A layer scan as entry objects: what `scanLayer` and `Insight.layerEntries` give. */

/**
 * What an entry does to the tree: `file`, `dir`, `symlink`, `hardlink`, `other` (device,
 * fifo) add or replace a path; `whiteout` removes `path`; `opaque` hides everything the
 * layers below hold under the directory `path`.
 */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other' | 'whiteout' | 'opaque';

export interface LayerEntry {
  /** Path inside the image, without a leading `/` (`etc/passwd`); for whiteouts, the path removed. */
  path: string;
  kind: EntryKind;
  /** Bytes of the body the layer stores (regular files only; 0 for every other kind). */
  size: number;
  /** sha256 (hex) of a regular file's body; '' for other kinds. */
  sha256: string;
  /** A hardlink's target (cleaned as `path` is); absent for other kinds. */
  link?: string;
}

export interface LayerScan {
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarBytes: number;
  entries: LayerEntry[];
}
