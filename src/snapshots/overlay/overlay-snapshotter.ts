/**
 * The overlay driver: each snapshot's fs/ holds one layer's own files (deletions as 0/0
 * character devices, opaque directories marked with trusted.overlay.opaque), and mounts
 * stack the chain with kernel overlayfs; an active snapshot adds work/ for overlayfs.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { LayerStats } from '../../diff/index.ts';
import { notFound } from '../../errdefs/index.ts';
import type { Database, SnapshotRow } from '../../metadata/index.ts';
import { OVERLAY_MAX_LOWER, type Mount } from '../../mount/index.ts';
import type { Change } from '../changes.ts';
import { SnapshotterBase, type StackingLimit } from '../snapshotter.ts';

export class OverlaySnapshotter extends SnapshotterBase {
  readonly whiteoutMode = 'overlay';
  readonly stacksLayers = true;
  readonly stackingLimit: StackingLimit = { layers: OVERLAY_MAX_LOWER, reason: `overlayfs mounts at most ${OVERLAY_MAX_LOWER} layers` };

  constructor(db: Database, root: string) {
    super(db, root, 'overlay');
  }

  protected populate(row: SnapshotRow, dir: string): void {
    if (row.kind === 'active') mkdirSync(join(dir, 'work'), { mode: 0o700 });
  }

  protected committed(dir: string): void {
    rmSync(join(dir, 'work'), { recursive: true, force: true });
  }

  protected mountsOf(row: SnapshotRow, parents: SnapshotRow[]): Mount[] {
    if (row.kind === 'active') {
      if (parents.length === 0) return [{ type: 'bind', source: this.fsDir(row), options: ['rbind', 'rw'] }];
      return [{
        type: 'overlay',
        source: 'overlay',
        options: [`lowerdir=${parents.map((p) => this.fsDir(p)).join(':')}`, `upperdir=${this.fsDir(row)}`, `workdir=${this.workDir(row)}`, 'index=off', 'redirect_dir=off', 'metacopy=off'],
      }];
    }
    const layers = row.kind === 'view' ? parents : [row, ...parents];
    if (layers.length === 0) return [{ type: 'bind', source: this.fsDir(row), options: ['rbind', 'ro'] }];
    return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${layers.map((p) => this.fsDir(p)).join(':')}`, 'ro'] }];
  }

  private workDir(row: SnapshotRow): string {
    return join(this.home, row.dir, 'work');
  }

  /** The snapshot's own directory is its layer: what is there is the change. */
  async diff(key: string, output: Writable): Promise<LayerStats> {
    const row = this.stat(key);
    if (!row) throw notFound(`snapshot ${key} does not exist`);
    // diff/ is loaded only when a layer is made: the snapshotter opens with every command.
    const { diffOverlayUpper } = await import('../../diff/index.ts');
    return diffOverlayUpper({ upper: this.fsDir(row), output });
  }

  async changes(key: string): Promise<Change[]> {
    const { row, parents } = this.withParents(key);
    const { overlayChanges } = await import('./overlay-changes.ts');
    return overlayChanges(this.fsDir(row), parents.map((p) => this.fsDir(p)));
  }

  graphDriverData(key: string, mergedDir: string): Record<string, string> | null {
    const row = this.stat(key);
    if (!row) return null;
    const lowers = row.parent === null ? [] : this.chain(row.parent).map((r) => this.fsDir(r));
    const data: Record<string, string> = {};
    if (lowers.length > 0) data['LowerDir'] = lowers.join(':');
    data['MergedDir'] = mergedDir;
    data['UpperDir'] = this.fsDir(row);
    data['WorkDir'] = this.workDir(row);
    return data;
  }
}
