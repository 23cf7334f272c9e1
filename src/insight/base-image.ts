/**
 * Where the base image ends: the longest other image in the store whose layers are the
 * bottom of this one's (its parent, by content), or else the history: the user's build
 * begins after the last gap of more than 10 minutes between two history rows (a base image
 * was built long before the build that used it).
 */
import { parseRfc3339, type Digest } from '../oci/index.ts';
import type { ImageStore } from '../images/index.ts';
import type { ImageAnalysis } from './analysis-types.ts';
import type { HistoryEntry } from './analysis.ts';

const BUILD_GAP_MS = 10 * 60 * 1000;

/** The parent found among the store's images, if any. */
export function parentInStore(images: ImageStore, id: string, chains: readonly Digest[]): ImageAnalysis['base'] | undefined {
  let best: { id: string; layers: number } | undefined;
  for (const row of images.records.all()) {
    if (row.id === id) continue;
    const other = images.records.chainIds(row.id);
    if (other.length === 0 || other.length >= chains.length || other.length <= (best?.layers ?? 0)) continue;
    if (other[other.length - 1] === chains[other.length - 1]) best = { id: row.id, layers: other.length };
  }
  if (best === undefined) return undefined;
  const name = images.repoTags(best.id)[0] ?? best.id;
  return { layers: best.layers, source: 'parent-image', parent: name };
}

/** The base told from the history's dates (see the top of this file). */
export function baseFromHistory(history: readonly HistoryEntry[], layerCount: number): ImageAnalysis['base'] {
  let layers = 0;
  let base = 0;
  let previous: number | undefined;
  for (const h of history) {
    const t = h.created === undefined ? undefined : parseRfc3339(h.created);
    if (t !== undefined && previous !== undefined && t - previous > BUILD_GAP_MS) base = layers;
    if (t !== undefined) previous = t;
    if (h.empty_layer !== true) layers++;
  }
  base = Math.min(base, layerCount);
  return base === 0 ? { layers: 0, source: 'none' } : { layers: base, source: 'history' };
}
