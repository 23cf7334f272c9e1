/**
 * Build cache rows: one per build step that produced a layer (RUN, COPY, ADD, WORKDIR),
 * keyed by the step's cache key; the content hashes the builder remembers for context files
 * (by path, inode, size, mtime and ctime, as BuildKit's contenthash does); the file lists of
 * COPY sources, kept to explain why a later build missed; and `RUN --mount=type=cache`
 * directories. The layers a cache row names are kept alive by the garbage collector.
 */
import type { Database } from './database.ts';

export interface BuildCacheRow {
  /** The step's cache key: 64 hex characters. */
  key: string;
  /** The cache key of the step below it ('' for a stage's base). */
  parentKey: string;
  /** RUN, COPY, ADD or WORKDIR. */
  kind: string;
  /** The instruction as BuildKit's history writes it. */
  description: string;
  /** JSON of everything the key was computed from (for miss explanations). */
  inputs: string;
  /** The layer stack the step produced. */
  chainId: string;
  diffId: string;
  /** docker's size of the step's own layer. */
  size: number;
  tarSize: number;
  /** ms since the epoch: the layer's history time, reused when the step is cached. */
  createdAt: number;
  lastUsedAt: number;
  usageCount: number;
}

const COLUMNS = 'key, parent_key AS parentKey, kind, description, inputs, chain_id AS chainId, diff_id AS diffId, size, tar_size AS tarSize, '
  + 'created_at AS createdAt, last_used_at AS lastUsedAt, usage_count AS usageCount';

export interface FileHashRow {
  path: string;
  ino: number;
  size: number;
  /** Nanoseconds, as decimal strings (they overflow a double). */
  mtimeNs: string;
  ctimeNs: string;
  digest: string;
}

export interface CacheMountRow {
  id: string;
  dir: string;
  createdAt: number;
  lastUsedAt: number;
  usageCount: number;
}

export class BuildCacheRecords {
  constructor(private readonly db: Database) {}

  get(key: string): BuildCacheRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM build_cache WHERE key = ?`).get(key) as BuildCacheRow | undefined;
  }

  all(): BuildCacheRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM build_cache ORDER BY created_at`).all() as BuildCacheRow[];
  }

  /** Earlier results built on the same parent, newest use first (for miss explanations). */
  siblings(parentKey: string, limit = 20): BuildCacheRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM build_cache WHERE parent_key = ? ORDER BY last_used_at DESC LIMIT ?`).all(parentKey, limit) as BuildCacheRow[];
  }

  /** The most recently used row with this description anywhere (a step whose parent changed). */
  latestWithDescription(description: string): BuildCacheRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM build_cache WHERE description = ? ORDER BY last_used_at DESC LIMIT 1`).get(description) as BuildCacheRow | undefined;
  }

  /** Inserts or replaces the row for `row.key` (a rebuilt step's newest result wins). */
  put(row: BuildCacheRow): void {
    this.db.prepare(`INSERT OR REPLACE INTO build_cache (key, parent_key, kind, description, inputs, chain_id, diff_id, size, tar_size, created_at, last_used_at, usage_count)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(row.key, row.parentKey, row.kind, row.description, row.inputs, row.chainId, row.diffId, row.size, row.tarSize, row.createdAt, row.lastUsedAt, row.usageCount);
  }

  touch(key: string, now: number): void {
    this.db.prepare('UPDATE build_cache SET last_used_at = ?, usage_count = usage_count + 1 WHERE key = ?').run(now, key);
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM build_cache WHERE key = ?').run(key);
  }

  /** Every chain ID some row names: roots for the garbage collector. */
  chainIds(): string[] {
    return (this.db.prepare('SELECT DISTINCT chain_id AS chainId FROM build_cache').all() as { chainId: string }[]).map((r) => r.chainId);
  }

  // ---- remembered content hashes of context files ----

  /** Rows for paths under `dir` (an absolute directory without a trailing slash). */
  fileHashesUnder(dir: string): FileHashRow[] {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    // Every path starting with `prefix`: from prefix up to prefix with its last byte + 1.
    const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    return this.db.prepare('SELECT path, ino, size, mtime_ns AS mtimeNs, ctime_ns AS ctimeNs, digest FROM build_file_hashes WHERE path >= ? AND path < ?')
      .all(prefix, upper) as FileHashRow[];
  }

  fileHash(path: string): FileHashRow | undefined {
    return this.db.prepare('SELECT path, ino, size, mtime_ns AS mtimeNs, ctime_ns AS ctimeNs, digest FROM build_file_hashes WHERE path = ?').get(path) as FileHashRow | undefined;
  }

  putFileHash(row: FileHashRow): void {
    this.db.prepare('INSERT OR REPLACE INTO build_file_hashes (path, ino, size, mtime_ns, ctime_ns, digest) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.path, row.ino, row.size, row.mtimeNs, row.ctimeNs, row.digest);
  }

  clearFileHashes(): void {
    this.db.prepare('DELETE FROM build_file_hashes').run();
  }

  // ---- file lists of COPY sources ----

  putFileSet(digest: string, data: Buffer): void {
    this.db.prepare('INSERT OR IGNORE INTO build_file_sets (digest, files) VALUES (?, ?)').run(digest, data);
  }

  fileSet(digest: string): Buffer | undefined {
    return (this.db.prepare('SELECT files FROM build_file_sets WHERE digest = ?').get(digest) as { files: Buffer } | undefined)?.files;
  }

  /** Removes file lists no cache row's inputs mention. */
  pruneFileSets(): number {
    const rows = this.db.prepare('SELECT digest FROM build_file_sets').all() as { digest: string }[];
    const used = new Set<string>();
    for (const r of this.db.prepare('SELECT inputs FROM build_cache').all() as { inputs: string }[]) {
      for (const m of r.inputs.matchAll(/"fileSet":"([0-9a-f]{64})"/g)) used.add(m[1] as string);
    }
    let removed = 0;
    const del = this.db.prepare('DELETE FROM build_file_sets WHERE digest = ?');
    for (const r of rows) {
      if (!used.has(r.digest)) {
        del.run(r.digest);
        removed++;
      }
    }
    return removed;
  }

  // ---- RUN --mount=type=cache directories ----

  cacheMount(id: string): CacheMountRow | undefined {
    return this.db.prepare('SELECT id, dir, created_at AS createdAt, last_used_at AS lastUsedAt, usage_count AS usageCount FROM build_cache_mounts WHERE id = ?')
      .get(id) as CacheMountRow | undefined;
  }

  cacheMounts(): CacheMountRow[] {
    return this.db.prepare('SELECT id, dir, created_at AS createdAt, last_used_at AS lastUsedAt, usage_count AS usageCount FROM build_cache_mounts ORDER BY created_at')
      .all() as CacheMountRow[];
  }

  /** Records a use of cache mount `id` (creating its row with `dir` the first time). */
  useCacheMount(id: string, dir: string, now: number): CacheMountRow {
    this.db.prepare(`INSERT INTO build_cache_mounts (id, dir, created_at, last_used_at, usage_count) VALUES (?, ?, ?, ?, 1)
      ON CONFLICT(id) DO UPDATE SET last_used_at = excluded.last_used_at, usage_count = usage_count + 1`).run(id, dir, now, now);
    return this.cacheMount(id) as CacheMountRow;
  }

  deleteCacheMount(id: string): void {
    this.db.prepare('DELETE FROM build_cache_mounts WHERE id = ?').run(id);
  }
}
