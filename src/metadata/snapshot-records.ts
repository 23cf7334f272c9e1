/** Snapshot rows: which directories exist, what they are, and what they stack on. */
import type { Database } from './database.ts';

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotRow {
  key: string;
  dir: string;
  driver: string;
  kind: SnapshotKind;
  parent: string | null;
  createdAt: number;
}

const COLUMNS = 'key, dir, driver, kind, parent, created_at AS createdAt';

export class SnapshotRecords {
  constructor(private readonly db: Database) {}

  get(key: string): SnapshotRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM snapshots WHERE key = ?`).get(key) as SnapshotRow | undefined;
  }

  all(driver?: string): SnapshotRow[] {
    return driver === undefined
      ? (this.db.prepare(`SELECT ${COLUMNS} FROM snapshots`).all() as SnapshotRow[])
      : (this.db.prepare(`SELECT ${COLUMNS} FROM snapshots WHERE driver = ?`).all(driver) as SnapshotRow[]);
  }

  insert(row: SnapshotRow): void {
    this.db.prepare('INSERT INTO snapshots (key, dir, driver, kind, parent, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.key, row.dir, row.driver, row.kind, row.parent, row.createdAt);
  }

  /** Turns an active snapshot into a committed one named `name`. */
  rename(key: string, name: string, kind: SnapshotKind): void {
    this.db.prepare('UPDATE snapshots SET key = ?, kind = ? WHERE key = ?').run(name, kind, key);
  }

  setParent(key: string, parent: string): void {
    this.db.prepare('UPDATE snapshots SET parent = ? WHERE key = ?').run(parent, key);
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM snapshots WHERE key = ?').run(key);
  }

  children(key: string): string[] {
    return (this.db.prepare('SELECT key FROM snapshots WHERE parent = ?').all(key) as { key: string }[]).map((r) => r.key);
  }
}
