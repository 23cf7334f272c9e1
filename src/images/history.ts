/**
 * `image history`: one row per history entry, newest first, as docker's daemon builds it:
 * sizes from the layer each non-empty entry created, the image's own ID on the top row and
 * its ancestors' IDs below it while the parent chain is stored locally, `<missing>` after.
 */
import { invalidArgument } from '../errdefs/index.ts';
import { chainIds, parseRfc3339, type Digest } from '../oci/index.ts';
import type { ImageStore } from './image-store.ts';

export interface HistoryRow {
  /** Image ID, or `<missing>` where no local image owns the row. */
  id: string;
  /** Seconds since the epoch (docker's API unit), 0 when the entry has no time. */
  created: number;
  createdBy: string;
  tags: string[];
  size: number;
  comment: string;
}

export function imageHistory(store: ImageStore, id: Digest): HistoryRow[] {
  const config = store.config(id);
  const chains = chainIds(config.rootfs.diff_ids);
  const rows: HistoryRow[] = [];
  let layer = 0;
  for (const entry of config.history ?? []) {
    let size = 0;
    if (!entry.empty_layer) {
      const chain = chains[layer];
      if (chain === undefined) throw invalidArgument(`image ${id}: too many non-empty layers in History section`);
      size = store.layers.get(chain)?.size ?? 0;
      layer++;
    }
    const ms = parseRfc3339(entry.created);
    rows.unshift({
      id: '<missing>',
      created: ms === undefined ? 0 : Math.floor(ms / 1000),
      createdBy: entry.created_by ?? '',
      tags: [],
      size,
      comment: entry.comment ?? '',
    });
  }
  let current: string | undefined = id;
  for (const row of rows) {
    if (current === undefined || !store.get(current)) break;
    row.id = current;
    row.tags = store.repoTags(current);
    const parent: string = store.get(current)?.parent ?? '';
    current = parent === '' ? undefined : parent;
  }
  return rows;
}
