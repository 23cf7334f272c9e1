/**
 * Snapshots: layers extracted once into directories, and working trees on top of them.
 * Knows nothing about images: a committed snapshot is named by its chain ID, an active one
 * by its owner's key (a container, a build step, an unpack in progress).
 *
 * Lifecycle (containerd's snapshotter model):
 *
 *   prepare(key, parent) → active: a writable tree on committed `parent` (or empty),
 *                          returned as Mount[] to mount where the caller wants
 *   commit(name, key)    → the active snapshot becomes committed snapshot `name`; from now
 *                          on its files never change (invariant 2) and it may be a parent
 *   view(key, parent)    → view: a read-only tree of committed `parent`; never committed
 *   remove(key)          → any of the three is gone, refused while a child stacks on it
 *
 * Only committed snapshots are parents, so the snapshots form a forest of chains; stat,
 * walk, chain and mounts read it, diff and changes read what a snapshot changed in its
 * parent's tree. Mounts are returned as data: only mount/ calls mount(2).
 *
 * Drivers implement this interface (openSnapshotter in drivers.ts picks one by name):
 * `overlay` keeps each layer's own files (whiteouts as 0/0 devices) and stacks them with
 * kernel overlayfs; `native` keeps a full copy of the tree per snapshot (like docker's vfs)
 * for filesystems where overlay cannot mount. What differs between them is a method or a
 * property of the driver; callers never test its name, which is for display only.
 */
import { mkdirSync, renameSync, rmSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { LayerStats, WhiteoutMode } from '../diff/index.ts';
import { alreadyExists, errnoOf, failedPrecondition, fromSystemError, invalidArgument, notFound } from '../errdefs/index.ts';
import { crashPoint, processAlive } from '../internal/index.ts';
import { inTransaction, SnapshotRecords, type Database, type SnapshotRow } from '../metadata/index.ts';
import type { Mount } from '../mount/index.ts';
import type { Change } from './changes.ts';

export type StorageDriver = 'overlay' | 'native';

export interface StackingLimit {
  layers: number;
  /** The error's reason, e.g. `overlayfs mounts at most 500 layers`. */
  reason: string;
}

export interface Snapshotter {
  /** The driver's name, for display only (inspect's GraphDriver.Name and Driver, `info`). */
  readonly driver: StorageDriver;
  /** The driver's directory: one subdirectory per snapshot. */
  readonly home: string;
  /** The store's snapshot records (of every driver: `stat` and `walk` see only this one's). */
  readonly records: SnapshotRecords;
  /** How a layer's deletions are written when a layer tar is applied into a snapshot's directory. */
  readonly whiteoutMode: WhiteoutMode;
  /**
   * Whether a snapshot's directory holds only its own layer, stacked on its parents when
   * mounted (overlay), rather than a whole tree copied from its parent (native). When it
   * does, a layer can be extracted before its parent is and given it at commit, and a
   * build step can write straight into the directory.
   */
  readonly stacksLayers: boolean;
  /** How many committed snapshots one snapshot may stack on, and why; undefined without a limit. */
  readonly stackingLimit: StackingLimit | undefined;

  /** This driver's snapshot `key`, if it exists. */
  stat(key: string): SnapshotRow | undefined;
  /** Every snapshot of this driver. */
  walk(): SnapshotRow[];
  /** The directory holding a snapshot's own files (its layer for overlay, the full tree for native). */
  fsDir(row: SnapshotRow): string;
  /** Committed snapshots from `key` down to the base, top first. @throws not-found */
  chain(key: string): SnapshotRow[];
  /** A writable snapshot on committed `parent` (or empty). @throws already-exists, not-found, invalid-argument */
  prepare(key: string, parent?: string): Mount[];
  /** A read-only view of committed `parent`'s tree. @throws like prepare */
  view(key: string, parent?: string): Mount[];
  /** How to mount snapshot `key` again. @throws not-found */
  mounts(key: string): Mount[];
  /**
   * The active snapshot `key` becomes committed snapshot `name`. Committing a name that
   * exists already (another process extracted the same layer) discards `key` and succeeds:
   * the same chain ID is the same content. `parent` gives a parentless snapshot its parent
   * (only where `stacksLayers`).
   */
  commit(name: string, key: string, options?: { parent?: string }): { existed: boolean };
  /** Removes a snapshot and its files. @throws failed-precondition while children stack on it */
  remove(key: string): void;
  /**
   * Removes a snapshot unless another stacks on it or `keep` (asked in the same transaction,
   * so nothing can stack on it or claim it in between) says it is needed.
   * @returns whether it was removed
   */
  removeUnused(key: string, keep?: () => boolean): boolean;
  /** Directories no record names (crash leftovers) older than `minAgeMs` (default an hour). */
  orphanDirs(minAgeMs?: number): string[];
  /** Directories in trash/ whose removal was interrupted (their remover is gone). */
  trashEntries(): string[];
  /** Removes the given orphan directories (`orphanDirs`) and trash entries (`trashEntries`). */
  cleanOrphans(orphans: readonly string[], trash: readonly string[]): void;
  /**
   * Writes what snapshot `key` changed in its parent's tree as a layer tar to `output`
   * (not ended). Deterministic: the same changes give the same diff_id.
   */
  diff(key: string, output: Writable): Promise<LayerStats>;
  /** What snapshot `key` changed in its parent's tree, as `docker diff` lists it. */
  changes(key: string): Promise<Change[]>;
  /** docker's GraphDriver.Data of a container whose writable snapshot is `key`, mounted at `mergedDir`. */
  graphDriverData(key: string, mergedDir: string): Record<string, string> | null;
}

/** What every driver shares: records in SQLite, directories under `home`, chains, the stacking limit. */
export abstract class SnapshotterBase implements Snapshotter {
  readonly records: SnapshotRecords;
  readonly home: string;
  abstract readonly whiteoutMode: WhiteoutMode;
  abstract readonly stacksLayers: boolean;
  abstract readonly stackingLimit: StackingLimit | undefined;

  constructor(
    private readonly db: Database,
    root: string,
    readonly driver: StorageDriver,
  ) {
    this.records = new SnapshotRecords(db);
    this.home = join(root, driver);
    try {
      mkdirSync(this.home, { recursive: true, mode: 0o700 });
      mkdirSync(join(root, 'trash'), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fromSystemError(err, `create ${this.home}`);
    }
  }

  /** Fills a new snapshot's directory `dir` (its fs/ exists, empty) before it is recorded. */
  protected abstract populate(row: SnapshotRow, dir: string): void;
  /** The mounts of `row`, whose committed parents are `parents` (top first). */
  protected abstract mountsOf(row: SnapshotRow, parents: SnapshotRow[]): Mount[];
  /** Tidies a snapshot's directory `dir` once it is committed (it is never written again). */
  protected abstract committed(dir: string): void;
  abstract diff(key: string, output: Writable): Promise<LayerStats>;
  abstract changes(key: string): Promise<Change[]>;
  abstract graphDriverData(key: string, mergedDir: string): Record<string, string> | null;

  stat(key: string): SnapshotRow | undefined {
    const row = this.records.get(key);
    return row && row.driver === this.driver ? row : undefined;
  }

  walk(): SnapshotRow[] {
    return this.records.all(this.driver);
  }

  fsDir(row: SnapshotRow): string {
    return join(this.home, row.dir, 'fs');
  }

  chain(key: string): SnapshotRow[] {
    const out: SnapshotRow[] = [];
    let current: string | null = key;
    while (current !== null) {
      const row = this.stat(current);
      if (!row) throw notFound(`snapshot ${current} does not exist`);
      out.push(row);
      current = row.parent;
      if (out.length > 10_000) throw invalidArgument(`snapshot ${key}: parent chain loops`);
    }
    return out;
  }

  /** An existing snapshot `key` and its committed parents (top first). @throws not-found */
  protected withParents(key: string): { row: SnapshotRow; parents: SnapshotRow[] } {
    const row = this.stat(key);
    if (!row) throw notFound(`snapshot ${key} does not exist`);
    return { row, parents: row.parent === null ? [] : this.chain(row.parent) };
  }

  private create(key: string, parent: string | undefined, kind: 'active' | 'view'): SnapshotRow {
    if (parent !== undefined) {
      const p = this.stat(parent);
      if (!p) throw notFound(`parent snapshot ${parent} does not exist`);
      if (p.kind !== 'committed') throw invalidArgument(`parent snapshot ${parent} is not committed`);
      // The chain below is what a mount stacks (an active snapshot's own directory, the upper, is not counted).
      const limit = this.stackingLimit;
      if (limit !== undefined && this.chain(parent).length > limit.layers) throw invalidArgument(`cannot stack on ${parent}: ${limit.reason}`);
    }
    const row: SnapshotRow = { key, dir: randomBytes(12).toString('hex'), driver: this.driver, kind, parent: parent ?? null, createdAt: Date.now() };
    const dir = join(this.home, row.dir);
    // Directories first, record second: a crash in between leaves an orphan directory,
    // which the collector removes, never a record pointing at nothing.
    try {
      mkdirSync(join(dir, 'fs'), { recursive: true, mode: 0o755 });
      this.populate(row, dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw fromSystemError(err, `prepare snapshot ${key}`);
    }
    try {
      inTransaction(this.db, () => {
        if (this.records.get(key)) throw alreadyExists(`snapshot ${key} already exists`);
        this.records.insert(row);
      });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return row;
  }

  prepare(key: string, parent?: string): Mount[] {
    const row = this.create(key, parent, 'active');
    return this.mountsOf(row, parent === undefined ? [] : this.chain(parent));
  }

  view(key: string, parent?: string): Mount[] {
    const row = this.create(key, parent, 'view');
    return this.mountsOf(row, parent === undefined ? [] : this.chain(parent));
  }

  mounts(key: string): Mount[] {
    const { row, parents } = this.withParents(key);
    return this.mountsOf(row, parents);
  }

  commit(name: string, key: string, options: { parent?: string } = {}): { existed: boolean } {
    const row = this.stat(key);
    if (!row) throw notFound(`snapshot ${key} does not exist`);
    if (row.kind !== 'active') throw failedPrecondition(`snapshot ${key} is not active`);
    if (options.parent !== undefined && options.parent !== row.parent) {
      // A stacked layer's files don't depend on what is under it, so a layer extracted on
      // its own (pulled in parallel with its parent) can be stacked on the parent when it
      // commits. A whole tree must be prepared on its parent.
      if (!this.stacksLayers || row.parent !== null) throw failedPrecondition(`snapshot ${key} cannot be re-parented`);
      const parent = this.stat(options.parent);
      if (!parent || parent.kind !== 'committed') throw notFound(`parent snapshot ${options.parent} is not committed`);
    }
    const existed = this.deleteInTransaction((trash) => {
      if (this.records.get(name)) {
        this.records.delete(key);
        trash(row.dir);
        return true;
      }
      this.records.rename(key, name, 'committed');
      if (options.parent !== undefined) this.records.setParent(name, options.parent);
      return false;
    });
    if (!existed) this.committed(join(this.home, row.dir));
    crashPoint('snapshot-commit');
    return { existed };
  }

  remove(key: string): void {
    const row = this.stat(key);
    if (!row) return;
    this.deleteInTransaction((trash) => {
      const children = this.records.children(key);
      if (children.length > 0) throw failedPrecondition(`snapshot ${key} has dependent snapshots (${children.length})`);
      this.records.delete(key);
      trash(row.dir);
    });
  }

  removeUnused(key: string, keep: () => boolean = () => false): boolean {
    return this.deleteInTransaction((trash) => {
      const current = this.stat(key);
      if (!current || this.records.children(key).length > 0 || keep()) return false;
      this.records.delete(key);
      trash(current.dir);
      return true;
    });
  }

  /**
   * Runs `fn` in one transaction, in which it deletes snapshot records and hands their
   * directories to `trash`: each is moved into trash/ right then, so a crash leaves either
   * the record or a trash entry (named with this process's pid, which `system check` names
   * once it is gone), never a directory nothing names. They are deleted after the commit;
   * should the transaction fail on its own, they are moved back.
   */
  private deleteInTransaction<T>(fn: (trash: (dir: string) => void) => T): T {
    const moved: { from: string; to: string }[] = [];
    let result: T;
    try {
      result = inTransaction(this.db, () => fn((dir) => {
        const m = this.moveToTrash(dir);
        if (m !== undefined) moved.push(m);
      }));
    } catch (err) {
      // Inside an outer transaction (the collector's) that one decides; its files go anyway.
      if (!this.db.inTransaction) {
        for (const m of moved) {
          try { renameSync(m.to, m.from); } catch { /* left in trash, which check names */ }
        }
      }
      throw err;
    }
    for (const m of moved) rmSync(m.to, { recursive: true, force: true });
    return result;
  }

  /**
   * Moves a snapshot directory into trash/ (named with this process's pid); undefined when
   * it is gone already. One that can't be moved is deleted where it is (`to` is `from`).
   */
  private moveToTrash(dir: string): { from: string; to: string } | undefined {
    const from = join(this.home, dir);
    const to = join(this.home, '..', 'trash', `${this.driver}-${dir}-${Date.now()}.pid${process.pid}`);
    try {
      renameSync(from, to);
    } catch (err) {
      return errnoOf(err) === 'ENOENT' ? undefined : { from, to: from };
    }
    crashPoint('snapshot-remove');
    return { from, to };
  }

  /** Deletes a directory no record names, through trash/ as above. */
  private discardDir(dir: string): void {
    const m = this.moveToTrash(dir);
    if (m !== undefined) rmSync(m.to, { recursive: true, force: true });
  }

  /**
   * Directories no record names (left by a crash between mkdir and insert). Young ones are
   * left out: another process may be about to record them.
   */
  orphanDirs(minAgeMs = 3600_000): string[] {
    const known = new Set(this.walk().map((r) => r.dir));
    const cutoff = Date.now() - minAgeMs;
    return readdirSync(this.home).filter((name) => !known.has(name) && statSync(join(this.home, name)).mtimeMs < cutoff);
  }

  /** Directories whose removal was interrupted: in trash/, and their remover is gone. */
  trashEntries(): string[] {
    const trash = join(this.home, '..', 'trash');
    if (!existsSync(trash)) return [];
    return readdirSync(trash).filter((name) => {
      const remover = /\.pid(\d+)$/.exec(name);
      return remover === null || !processAlive(Number(remover[1]));
    });
  }

  /** Removes orphan directories (`orphanDirs`) and trash entries. */
  cleanOrphans(orphans: readonly string[], trash: readonly string[]): void {
    for (const name of orphans) this.discardDir(name);
    for (const name of trash) rmSync(join(this.home, '..', 'trash', name), { recursive: true, force: true });
  }
}
