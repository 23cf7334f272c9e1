/**
 * The analysis proper, pure: from the scans of an image's layers (bottom first), its
 * history and where its base ends, to the numbers `image analyze` reports.
 *
 * - wasted: bytes a layer stores that the final tree cannot see (overwritten, removed by a
 *   whiteout, hidden by an opaque directory). The copy that stays visible is not waste.
 * - efficiency: visible bytes ÷ stored bytes.
 * - duplicates: the same body (sha256) stored more than once, anywhere in the image.
 */
import type {
  DuplicateGroup, FileCount, HistoryAnalysis, ImageAnalysis, LayerAnalysis, WastedFile,
} from './analysis-types.ts';
import { FileTree } from './file-tree.ts';
import { addedThenRemovedHints, cacheHints } from './hints.ts';
import { BodyIndex } from './body-index.ts';
import type { LayerScan } from './layer-scan.ts';
import { KIND_CODE, ScanTable } from './scan-table.ts';

export interface HistoryEntry {
  created?: string | undefined;
  created_by?: string | undefined;
  comment?: string | undefined;
  empty_layer?: boolean | undefined;
}

export interface AnalysisInput {
  image: ImageAnalysis['image'];
  base: ImageAnalysis['base'];
  /** One scan per layer, bottom first (as columns, or as entry objects). */
  scans: readonly (LayerScan | ScanTable)[];
  /** The config's history (metadata-only rows included). */
  history: readonly HistoryEntry[];
}

const BIGGEST = 5;

function count(): FileCount {
  return { files: 0, bytes: 0 };
}

/** Maps the non-empty history rows onto the layers, in order. */
function historyRows(history: readonly HistoryEntry[], scans: readonly ScanTable[], stored: readonly number[]): HistoryAnalysis[] {
  let layer = 0;
  return history.map((h) => {
    const empty = h.empty_layer === true;
    const index = !empty && layer < scans.length ? layer++ : null;
    return {
      created: h.created ?? '', createdBy: h.created_by ?? '', comment: h.comment ?? '',
      emptyLayer: empty, layer: index, size: index === null ? 0 : stored[index] ?? 0,
    };
  });
}

/** Keeps entry `at` of `scan` among a layer's biggest (its path made a string only then). */
function pushBiggest(list: { path: string; size: number }[], scan: ScanTable, at: number, size: number): void {
  if (size === 0 || (list.length === BIGGEST && (list[BIGGEST - 1]?.size ?? 0) >= size)) return;
  list.push({ path: `/${scan.path(at)}`, size });
  list.sort((a, b) => b.size - a.size);
  if (list.length > BIGGEST) list.pop();
}

export function analyzeLayers(input: AnalysisInput): ImageAnalysis {
  const scans = input.scans.map((s) => ScanTable.fromScan(s));
  const wasted: WastedFile[] = [];
  const layers: LayerAnalysis[] = scans.map((scan, index) => ({
    index, diffId: scan.diffId, instruction: '', created: '', base: index < input.base.layers, tarBytes: scan.tarBytes,
    stored: count(), added: count(), modified: count(), removed: count(), wastedBytes: 0, visibleBytes: 0, biggest: [],
  }));
  const tree = new FileTree(scans, (hidden) => {
    wasted.push({ ...hidden, path: `/${hidden.path}` });
    const owner = layers[hidden.layer];
    if (owner !== undefined) owner.wastedBytes += hidden.size;
    if (hidden.reason !== 'overwritten') {
      const by = layers[hidden.byLayer];
      if (by !== undefined) {
        by.removed.files++;
        by.removed.bytes += hidden.size;
      }
    }
  });
  const duplicates = new Map<number, DuplicateGroup>();
  const bodies = new BodyIndex(scans);
  scans.forEach((scan, index) => {
    const layer = layers[index] as LayerAnalysis;
    for (let at = 0; at < scan.length; at++) {
      const kind = scan.kindCode(at);
      const size = scan.size(at);
      // The tree reads the entry from the scan's columns: no string is made for its path.
      const replaced = tree.apply(index, at);
      if (kind === KIND_CODE.dir || kind === KIND_CODE.whiteout || kind === KIND_CODE.opaque) continue;
      layer.stored.files++;
      layer.stored.bytes += size;
      const change = replaced ? layer.modified : layer.added;
      change.files++;
      change.bytes += size;
      pushBiggest(layer.biggest, scan, at, size);
      if (kind !== KIND_CODE.file || size === 0) continue;
      // Most bodies are unique: a group is made only when a body shows up a second time.
      const first = bodies.firstOf(index, at);
      if (first === undefined) continue;
      const group = duplicates.get(first.slot);
      if (group !== undefined) {
        group.copies.push({ layer: index, path: `/${scan.path(at)}` });
        continue;
      }
      duplicates.set(first.slot, {
        sha256: `sha256:${scan.hashHex(at)}`, size,
        copies: [{ layer: first.layer, path: `/${scans[first.layer]?.path(first.index) ?? ''}` }, { layer: index, path: `/${scan.path(at)}` }],
      });
    }
  });
  let visibleFiles = 0;
  tree.forEachNode((kind, layer, size) => {
    if (kind === KIND_CODE.dir) return;
    visibleFiles++;
    const owner = layers[layer];
    if (owner !== undefined) owner.visibleBytes += size;
  });

  const history = historyRows(input.history, scans, layers.map((l) => l.stored.bytes));
  for (const row of history) {
    const layer = row.layer === null ? undefined : layers[row.layer];
    if (layer !== undefined) {
      layer.instruction = row.createdBy;
      layer.created = row.created;
    }
  }
  const instructions = layers.map((l) => l.instruction);

  const sum = (pick: (l: LayerAnalysis) => number, which: (l: LayerAnalysis) => boolean = () => true): number =>
    layers.filter(which).reduce((n, l) => n + pick(l), 0);
  const storedBytes = sum((l) => l.stored.bytes);
  const visibleBytes = sum((l) => l.visibleBytes);
  const baseWastedBytes = sum((l) => l.wastedBytes, (l) => l.base);
  const userWastedBytes = sum((l) => l.wastedBytes, (l) => !l.base);
  const userStoredBytes = sum((l) => l.stored.bytes, (l) => !l.base);
  const dupGroups = [...duplicates.values()]
    .sort((a, b) => b.size * (b.copies.length - 1) - a.size * (a.copies.length - 1) || (a.sha256 < b.sha256 ? -1 : 1));
  wasted.sort((a, b) => b.size - a.size || a.layer - b.layer || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  return {
    schemaVersion: 1,
    image: input.image,
    base: input.base,
    totals: {
      layers: layers.length,
      storedBytes,
      visibleBytes,
      visibleFiles,
      wastedBytes: storedBytes - visibleBytes,
      baseWastedBytes,
      userWastedBytes,
      userStoredBytes,
      userWastedPercent: userStoredBytes === 0 ? 0 : userWastedBytes / userStoredBytes,
      efficiency: storedBytes === 0 ? 1 : visibleBytes / storedBytes,
      duplicateBytes: dupGroups.reduce((n, g) => n + g.size * (g.copies.length - 1), 0),
    },
    layers,
    history,
    wasted,
    duplicates: dupGroups,
    hints: [...cacheHints(scans, instructions), ...addedThenRemovedHints(wasted, instructions)],
  };
}
