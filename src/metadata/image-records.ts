/** Image, tag and repo-digest rows. All writes are expected inside a caller's transaction. */
import type { Database } from './database.ts';

export interface ImageRow {
  id: string;
  configSize: number;
  created: string | null;
  parent: string;
  manifestDigest: string | null;
  manifestMediaType: string | null;
  manifestSize: number | null;
  size: number;
  addedAt: number;
  lastTagTime: string | null;
  /** config.Labels as JSON, or null when not recorded (images stored before schema 2). */
  labels: string | null;
}

export interface TagRow {
  name: string;
  imageId: string;
  taggedAt: number;
}

interface RawImageRow {
  id: string;
  config_size: number;
  created: string | null;
  parent: string;
  manifest_digest: string | null;
  manifest_media_type: string | null;
  manifest_size: number | null;
  size: number;
  added_at: number;
  last_tag_time: string | null;
  labels: string | null;
}

function toImageRow(r: RawImageRow): ImageRow {
  return {
    id: r.id,
    configSize: r.config_size,
    created: r.created,
    parent: r.parent,
    manifestDigest: r.manifest_digest,
    manifestMediaType: r.manifest_media_type,
    manifestSize: r.manifest_size,
    size: r.size,
    addedAt: r.added_at,
    lastTagTime: r.last_tag_time,
    labels: r.labels,
  };
}

export class ImageRecords {
  constructor(private readonly db: Database) {}

  get(id: string): ImageRow | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as RawImageRow | undefined;
    return r && toImageRow(r);
  }

  all(): ImageRow[] {
    return (this.db.prepare('SELECT * FROM images').all() as RawImageRow[]).map(toImageRow);
  }

  /** IDs starting with `prefix` (hex, without `sha256:`), for short-ID lookup. */
  idsWithPrefix(prefix: string): string[] {
    return (this.db.prepare("SELECT id FROM images WHERE id >= ? AND id < ? ORDER BY id").all(`sha256:${prefix}`, `sha256:${prefix}\u{ffff}`) as { id: string }[]).map((r) => r.id);
  }

  /** Inserts an image and its layer stack; an existing image is left as it is. Returns true if inserted. */
  insert(row: Omit<ImageRow, 'lastTagTime'>, chainIds: readonly string[]): boolean {
    const result = this.db
      .prepare(`INSERT OR IGNORE INTO images (id, config_size, created, parent, manifest_digest, manifest_media_type, manifest_size, size, added_at, labels)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(row.id, row.configSize, row.created, row.parent, row.manifestDigest, row.manifestMediaType, row.manifestSize, row.size, row.addedAt, row.labels);
    if (result.changes === 0) return false;
    const layer = this.db.prepare('INSERT INTO image_layers (image_id, position, chain_id) VALUES (?, ?, ?)');
    chainIds.forEach((chainId, position) => layer.run(row.id, position, chainId));
    return true;
  }

  setLabels(id: string, labels: string): void {
    this.db.prepare('UPDATE images SET labels = ? WHERE id = ?').run(labels, id);
  }

  /** Records a manifest for an image that has none yet (or replaces it). */
  setManifest(id: string, manifest: { digest: string; mediaType: string; size: number } | null): void {
    this.db.prepare('UPDATE images SET manifest_digest = ?, manifest_media_type = ?, manifest_size = ? WHERE id = ?')
      .run(manifest?.digest ?? null, manifest?.mediaType ?? null, manifest?.size ?? null, id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM repo_digests WHERE image_id = ?').run(id);
    this.db.prepare('DELETE FROM tags WHERE image_id = ?').run(id);
    this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
  }

  chainIds(id: string): string[] {
    return (this.db.prepare('SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY position').all(id) as { chain_id: string }[]).map((r) => r.chain_id);
  }

  /** Every (image, chain) pair: what `system df` and GC need, in one query. */
  allImageLayers(): { imageId: string; chainId: string }[] {
    return (this.db.prepare('SELECT image_id AS imageId, chain_id AS chainId FROM image_layers').all() as { imageId: string; chainId: string }[]);
  }

  /** Images whose parent is `id` (docker's "image has dependent child images"). */
  children(id: string): string[] {
    return (this.db.prepare('SELECT id FROM images WHERE parent = ?').all(id) as { id: string }[]).map((r) => r.id);
  }

  // Tags

  tag(name: string, imageId: string, now: number, lastTagTime: string): string | undefined {
    const previous = this.db.prepare('SELECT image_id FROM tags WHERE name = ?').get(name) as { image_id: string } | undefined;
    this.db.prepare('INSERT INTO tags (name, image_id, tagged_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, tagged_at = excluded.tagged_at')
      .run(name, imageId, now);
    this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(lastTagTime, imageId);
    return previous?.image_id;
  }

  untag(name: string): boolean {
    return this.db.prepare('DELETE FROM tags WHERE name = ?').run(name).changes > 0;
  }

  tagTarget(name: string): string | undefined {
    return (this.db.prepare('SELECT image_id FROM tags WHERE name = ?').get(name) as { image_id: string } | undefined)?.image_id;
  }

  tagsOf(imageId: string): TagRow[] {
    return (this.db.prepare('SELECT name, image_id AS imageId, tagged_at AS taggedAt FROM tags WHERE image_id = ? ORDER BY name').all(imageId) as TagRow[]);
  }

  allTags(): TagRow[] {
    return this.db.prepare('SELECT name, image_id AS imageId, tagged_at AS taggedAt FROM tags ORDER BY name').all() as TagRow[];
  }

  // Repo digests

  addRepoDigest(name: string, imageId: string): void {
    this.db.prepare('INSERT INTO repo_digests (name, image_id) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id').run(name, imageId);
  }

  removeRepoDigest(name: string): boolean {
    return this.db.prepare('DELETE FROM repo_digests WHERE name = ?').run(name).changes > 0;
  }

  repoDigestTarget(name: string): string | undefined {
    return (this.db.prepare('SELECT image_id FROM repo_digests WHERE name = ?').get(name) as { image_id: string } | undefined)?.image_id;
  }

  repoDigestsOf(imageId: string): string[] {
    return (this.db.prepare('SELECT name FROM repo_digests WHERE image_id = ? ORDER BY name').all(imageId) as { name: string }[]).map((r) => r.name);
  }

  allRepoDigests(): { name: string; imageId: string }[] {
    return this.db.prepare('SELECT name, image_id AS imageId FROM repo_digests ORDER BY name').all() as { name: string; imageId: string }[];
  }
}
