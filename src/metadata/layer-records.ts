/** Layer rows (one per chain ID) and the blobs known to hold each diff_id. */
import type { Database } from './database.ts';

export interface LayerRow {
  chainId: string;
  diffId: string;
  parent: string | null;
  size: number;
  tarSize: number;
  createdAt: number;
}

export interface LayerBlobRow {
  diffId: string;
  digest: string;
  mediaType: string;
  size: number;
}

const LAYER_COLUMNS = 'chain_id AS chainId, diff_id AS diffId, parent, size, tar_size AS tarSize, created_at AS createdAt';

export class LayerRecords {
  constructor(private readonly db: Database) {}

  get(chainId: string): LayerRow | undefined {
    return this.db.prepare(`SELECT ${LAYER_COLUMNS} FROM layers WHERE chain_id = ?`).get(chainId) as LayerRow | undefined;
  }

  all(): LayerRow[] {
    return this.db.prepare(`SELECT ${LAYER_COLUMNS} FROM layers`).all() as LayerRow[];
  }

  /** A layer row for the same diff_id anywhere, to reuse its measured sizes. */
  anyWithDiffId(diffId: string): LayerRow | undefined {
    return this.db.prepare(`SELECT ${LAYER_COLUMNS} FROM layers WHERE diff_id = ? LIMIT 1`).get(diffId) as LayerRow | undefined;
  }

  /** Inserts a layer unless its chain ID is known (content-addressed: same ID, same layer). */
  insert(row: LayerRow): void {
    this.db.prepare('INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, size, tar_size, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.chainId, row.diffId, row.parent, row.size, row.tarSize, row.createdAt);
  }

  delete(chainId: string): void {
    this.db.prepare('DELETE FROM layers WHERE chain_id = ?').run(chainId);
  }

  addBlob(row: LayerBlobRow): void {
    this.db.prepare('INSERT OR IGNORE INTO layer_blobs (diff_id, digest, media_type, size) VALUES (?, ?, ?, ?)')
      .run(row.diffId, row.digest, row.mediaType, row.size);
  }

  blobsOf(diffId: string): LayerBlobRow[] {
    return this.db.prepare('SELECT diff_id AS diffId, digest, media_type AS mediaType, size FROM layer_blobs WHERE diff_id = ?').all(diffId) as LayerBlobRow[];
  }

  allBlobs(): LayerBlobRow[] {
    return this.db.prepare('SELECT diff_id AS diffId, digest, media_type AS mediaType, size FROM layer_blobs').all() as LayerBlobRow[];
  }

  deleteBlob(digest: string): void {
    this.db.prepare('DELETE FROM layer_blobs WHERE digest = ?').run(digest);
  }
}
