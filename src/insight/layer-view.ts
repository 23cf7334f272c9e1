/**
 * One layer as a layer explorer shows it: each entry with what it does to the layers below
 * (A adds a path, C replaces one, D removes one: a whiteout or an opaque directory) and
 * whether the final image still sees it (a hidden entry's bytes are waste).
 */
import { FileTree } from './file-tree.ts';
import type { EntryKind, LayerScan } from './layer-scan.ts';
import { ScanTable } from './scan-table.ts';

export interface LayerFile {
  /** With a leading `/`; for D, the path removed (an opaque directory: the directory). */
  path: string;
  kind: EntryKind;
  size: number;
  change: 'A' | 'C' | 'D';
  /** True when a later layer overwrote or removed it: not in the final image. */
  hidden: boolean;
}

/** The entries of layer `index` of the stack `scans` (bottom first), in tar order. */
export function layerView(scans: readonly (LayerScan | ScanTable)[], index: number): LayerFile[] {
  const hidden = new Set<string>();
  const tables = scans.map((s) => ScanTable.fromScan(s));
  const tree = new FileTree(tables, (h) => {
    if (h.layer === index) hidden.add(h.path);
  });
  const files: LayerFile[] = [];
  tables.forEach((scan, layer) => {
    for (let i = 0; i < scan.length; i++) {
      if (layer !== index) {
        tree.apply(layer, i);
        continue;
      }
      const entry = scan.entry(i);
      const existed = tree.lookup(entry.path) !== undefined;
      tree.apply(layer, i);
      const removes = entry.kind === 'whiteout' || entry.kind === 'opaque';
      files.push({ path: `/${entry.path}`, kind: entry.kind, size: entry.size, change: removes ? 'D' : existed ? 'C' : 'A', hidden: false });
    }
  });
  // Directories are never hidden themselves (their files are); removals are not in the tree.
  for (const f of files) f.hidden = f.change !== 'D' && f.kind !== 'dir' && hidden.has(f.path.slice(1));
  return files;
}
