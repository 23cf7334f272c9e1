/**
 * The native driver: each snapshot's fs/ is a whole tree, an active one a full copy of its
 * parent's (like docker's vfs), for filesystems where overlayfs cannot mount. Mounts are
 * bind mounts; deletions are plain removals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { LayerStats } from '../../diff/index.ts';
import { notFound } from '../../errdefs/index.ts';
import { childProcess } from '../../internal/index.ts';
import type { Database, SnapshotRow } from '../../metadata/index.ts';
import type { Mount } from '../../mount/index.ts';
import type { Change } from '../changes.ts';
import { SnapshotterBase } from '../snapshotter.ts';

export class NativeSnapshotter extends SnapshotterBase {
  readonly whiteoutMode = 'native';
  readonly stacksLayers = false;
  // No limit of its own: images keep overlay's (images/image-depth.ts), so they run with either driver.
  readonly stackingLimit = undefined;

  constructor(db: Database, root: string) {
    super(db, root, 'native');
  }

  protected populate(row: SnapshotRow, dir: string): void {
    if (row.kind !== 'active' || row.parent === null) return;
    const source = this.fsDir(this.stat(row.parent) as SnapshotRow);
    // A full copy: owners, modes, times, xattrs, devices, hard links; reflinks where the filesystem has them.
    childProcess().execFileSync('cp', ['-a', '--reflink=auto', `${source}/.`, join(dir, 'fs')], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  protected committed(): void {
    // A whole tree has nothing to tidy.
  }

  protected mountsOf(row: SnapshotRow, parents: SnapshotRow[]): Mount[] {
    const source = row.kind === 'view' && parents[0] ? this.fsDir(parents[0]) : this.fsDir(row);
    return [{ type: 'bind', source, options: ['rbind', row.kind === 'active' ? 'rw' : 'ro'] }];
  }

  /** The snapshot's tree compared with its parent's (an empty tree for none). */
  async diff(key: string, output: Writable): Promise<LayerStats> {
    const row = this.stat(key);
    if (!row) throw notFound(`snapshot ${key} does not exist`);
    // diff/ is loaded only when a layer is made: the snapshotter opens with every command.
    const { diffDirectories } = await import('../../diff/index.ts');
    const parent = row.parent === null ? undefined : this.stat(row.parent);
    if (parent) return diffDirectories({ lower: this.fsDir(parent), upper: this.fsDir(row), output });
    const empty = mkdtempSync(`${this.home}/.empty-`);
    try {
      return await diffDirectories({ lower: empty, upper: this.fsDir(row), output });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }

  async changes(key: string): Promise<Change[]> {
    const row = this.stat(key);
    if (!row) throw notFound(`snapshot ${key} does not exist`);
    const parent = row.parent === null ? undefined : this.stat(row.parent);
    const { treeChanges } = await import('./tree-changes.ts');
    return treeChanges(this.fsDir(row), parent === undefined ? undefined : this.fsDir(parent));
  }

  graphDriverData(key: string): Record<string, string> | null {
    const row = this.stat(key);
    return row ? { UpperDir: this.fsDir(row) } : null;
  }
}
