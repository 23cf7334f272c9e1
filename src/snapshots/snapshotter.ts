/**
 * Snapshots: layers extracted once into directories, and working trees on top of them.
 * Knows nothing about images: a committed snapshot is named by its chain ID, an active one
 * by its owner's key (a container, a build step, an unpack in progress).
 *
 * Lifecycle, as containerd's snapshotters have it:
 *
 *   prepare(key, parent)  → an active (writable) snapshot on a committed parent; returns Mount[]
 *   view(key, parent)     → a read-only snapshot of the parent's tree; returns Mount[]
 *   commit(name, key)     → the active snapshot becomes committed snapshot `name`
 *   remove(key)           → gone (refused while a child stacks on it)
 *
 * Two drivers: `overlay` keeps each layer's own files (whiteouts as 0/0 devices) and stacks
 * them with kernel overlayfs; `native` keeps a full copy of the tree per snapshot (like
 * docker's vfs) for filesystems where overlay cannot mount. Mounts are returned as data;
 * only mount/ calls mount(2).
 */
import { mkdirSync, renameSync, rmSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { alreadyExists, failedPrecondition, fromSystemError, invalidArgument, notFound } from '../errdefs/index.ts';
import { childProcess, processAlive } from '../internal/index.ts';
import { inTransaction, SnapshotRecords, type Database, type SnapshotRow } from '../metadata/index.ts';
import { OVERLAY_MAX_LOWER, type Mount } from '../mount/index.ts';

export type StorageDriver = 'overlay' | 'native';

export class Snapshotter {
  readonly records: SnapshotRecords;
  readonly home: string;

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

  stat(key: string): SnapshotRow | undefined {
    const row = this.records.get(key);
    return row && row.driver === this.driver ? row : undefined;
  }

  /** The directory holding a snapshot's own files (the layer for overlay, the full tree for native). */
  fsDir(row: SnapshotRow): string {
    return join(this.home, row.dir, 'fs');
  }

  /** Committed snapshots from `key` down to the base, top first. */
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

  private create(key: string, parent: string | undefined, kind: 'active' | 'view'): SnapshotRow {
    if (parent !== undefined) {
      const p = this.stat(parent);
      if (!p) throw notFound(`parent snapshot ${parent} does not exist`);
      if (p.kind !== 'committed') throw invalidArgument(`parent snapshot ${parent} is not committed`);
      if (this.driver === 'overlay' && this.chain(parent).length + (kind === 'active' ? 0 : 0) > OVERLAY_MAX_LOWER) {
        throw invalidArgument(`cannot stack on ${parent}: overlayfs mounts at most ${OVERLAY_MAX_LOWER} layers`);
      }
    }
    const row: SnapshotRow = { key, dir: randomBytes(12).toString('hex'), driver: this.driver, kind, parent: parent ?? null, createdAt: Date.now() };
    const dir = join(this.home, row.dir);
    // Directories first, record second: a crash in between leaves an orphan directory,
    // which the collector removes, never a record pointing at nothing.
    try {
      mkdirSync(join(dir, 'fs'), { recursive: true, mode: 0o755 });
      if (this.driver === 'overlay' && kind === 'active') mkdirSync(join(dir, 'work'), { mode: 0o700 });
      if (this.driver === 'native' && kind === 'active' && parent !== undefined) {
        const source = this.fsDir(this.stat(parent) as SnapshotRow);
        // A full copy: owners, modes, times, xattrs, devices, hard links; reflinks where the filesystem has them.
        childProcess().execFileSync('cp', ['-a', '--reflink=auto', `${source}/.`, join(dir, 'fs')], { stdio: ['ignore', 'ignore', 'pipe'] });
      }
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

  /** A writable snapshot on top of committed `parent` (or empty). @throws already-exists, not-found */
  prepare(key: string, parent?: string): Mount[] {
    return this.mountsOf(this.create(key, parent, 'active'));
  }

  /** A read-only view of committed `parent`'s tree. */
  view(key: string, parent?: string): Mount[] {
    return this.mountsOf(this.create(key, parent, 'view'));
  }

  mounts(key: string): Mount[] {
    const row = this.stat(key);
    if (!row) throw notFound(`snapshot ${key} does not exist`);
    return this.mountsOf(row);
  }

  private mountsOf(row: SnapshotRow): Mount[] {
    const parents = row.parent === null ? [] : this.chain(row.parent);
    if (this.driver === 'native') {
      const source = row.kind === 'view' && parents[0] ? this.fsDir(parents[0]) : this.fsDir(row);
      return [{ type: 'bind', source, options: ['rbind', row.kind === 'active' ? 'rw' : 'ro'] }];
    }
    if (row.kind === 'active') {
      if (parents.length === 0) return [{ type: 'bind', source: this.fsDir(row), options: ['rbind', 'rw'] }];
      return [{
        type: 'overlay',
        source: 'overlay',
        options: [`lowerdir=${parents.map((p) => this.fsDir(p)).join(':')}`, `upperdir=${this.fsDir(row)}`, `workdir=${join(this.home, row.dir, 'work')}`, 'index=off', 'redirect_dir=off', 'metacopy=off'],
      }];
    }
    const layers = row.kind === 'view' ? parents : [row, ...parents];
    if (layers.length === 0) return [{ type: 'bind', source: this.fsDir(row), options: ['rbind', 'ro'] }];
    return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${layers.map((p) => this.fsDir(p)).join(':')}`, 'ro'] }];
  }

  /**
   * The active snapshot `key` becomes committed snapshot `name`. Committing a name that
   * exists already (another process extracted the same layer) discards `key` and succeeds:
   * the same chain ID is the same content.
   */
  commit(name: string, key: string, options: { parent?: string } = {}): { existed: boolean } {
    const row = this.stat(key);
    if (!row) throw notFound(`snapshot ${key} does not exist`);
    if (row.kind !== 'active') throw failedPrecondition(`snapshot ${key} is not active`);
    if (options.parent !== undefined && options.parent !== row.parent) {
      // An overlay layer's files don't depend on what is under it, so a layer extracted on
      // its own (pulled in parallel with its parent) can be stacked on the parent when it
      // commits. A native snapshot is a full tree: it must be prepared on its parent.
      if (this.driver !== 'overlay' || row.parent !== null) throw failedPrecondition(`snapshot ${key} cannot be re-parented`);
      const parent = this.stat(options.parent);
      if (!parent || parent.kind !== 'committed') throw notFound(`parent snapshot ${options.parent} is not committed`);
    }
    const existed = inTransaction(this.db, () => {
      if (this.records.get(name)) {
        this.records.delete(key);
        return true;
      }
      this.records.rename(key, name, 'committed');
      if (options.parent !== undefined) this.records.setParent(name, options.parent);
      return false;
    });
    if (existed) this.discardDir(row.dir);
    else rmSync(join(this.home, row.dir, 'work'), { recursive: true, force: true });
    return { existed };
  }

  /** Removes a snapshot and its files. @throws failed-precondition while children stack on it */
  remove(key: string): void {
    const row = this.stat(key);
    if (!row) return;
    inTransaction(this.db, () => {
      const children = this.records.children(key);
      if (children.length > 0) throw failedPrecondition(`snapshot ${key} has dependent snapshots (${children.length})`);
      this.records.delete(key);
    });
    this.discardDir(row.dir);
  }

  /**
   * Moves a directory out of the way atomically, then deletes it (a crash leaves it in trash/,
   * under a name ending in the pid of the process deleting it).
   */
  private discardDir(dir: string): void {
    const from = join(this.home, dir);
    const to = join(this.home, '..', 'trash', `${this.driver}-${dir}-${Date.now()}.pid${process.pid}`);
    try {
      renameSync(from, to);
    } catch {
      rmSync(from, { recursive: true, force: true });
      return;
    }
    rmSync(to, { recursive: true, force: true });
  }

  /**
   * Directories no record names (left by a crash between mkdir and insert). Young ones are
   * left out: another process may be about to record them.
   */
  orphanDirs(minAgeMs = 3600_000): string[] {
    const known = new Set(this.records.all(this.driver).map((r) => r.dir));
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
