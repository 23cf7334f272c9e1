/**
 * Leases: an operation in flight (load, pull, build, push) takes a lease and adds every
 * blob and layer it writes, reuses or sends, so a concurrent prune cannot collect them
 * before the operation records the image that references them (or has sent them). A
 * lease whose process died is stale and is dropped by the next garbage collection.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from './database.ts';

export type LeaseRefKind = 'blob' | 'layer';

export interface LeaseRow {
  id: string;
  pid: number;
  createdAt: number;
}

export class LeaseRecords {
  constructor(private readonly db: Database) {}

  create(pid = process.pid): string {
    const id = randomBytes(12).toString('hex');
    this.db.prepare('INSERT INTO leases (id, pid, created_at) VALUES (?, ?, ?)').run(id, pid, Date.now());
    return id;
  }

  add(leaseId: string, kind: LeaseRefKind, ref: string): void {
    this.db.prepare('INSERT OR IGNORE INTO lease_refs (lease_id, kind, ref) VALUES (?, ?, ?)').run(leaseId, kind, ref);
  }

  release(leaseId: string): void {
    this.db.prepare('DELETE FROM leases WHERE id = ?').run(leaseId);
  }

  all(): LeaseRow[] {
    return this.db.prepare('SELECT id, pid, created_at AS createdAt FROM leases').all() as LeaseRow[];
  }

  /** Whether any lease holds `ref`. */
  holds(kind: LeaseRefKind, ref: string): boolean {
    return this.db.prepare('SELECT 1 FROM lease_refs WHERE kind = ? AND ref = ? LIMIT 1').get(kind, ref) !== undefined;
  }

  refs(kind: LeaseRefKind): { leaseId: string; ref: string }[] {
    return this.db.prepare('SELECT lease_id AS leaseId, ref FROM lease_refs WHERE kind = ?').all(kind) as { leaseId: string; ref: string }[];
  }
}
