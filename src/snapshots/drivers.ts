/** The storage drivers by name: the one place that knows which implementations exist. */
import type { Database } from '../metadata/index.ts';
import { NativeSnapshotter } from './native/native-snapshotter.ts';
import { OverlaySnapshotter } from './overlay/overlay-snapshotter.ts';
import type { Snapshotter, StorageDriver } from './snapshotter.ts';

const DRIVERS: Record<StorageDriver, new (db: Database, root: string) => Snapshotter> = {
  overlay: OverlaySnapshotter,
  native: NativeSnapshotter,
};

export function isStorageDriver(name: string): name is StorageDriver {
  return Object.hasOwn(DRIVERS, name);
}

/** Opens driver `driver`'s snapshots under `root` (its directory is `root/<driver>`). */
export function openSnapshotter(db: Database, root: string, driver: StorageDriver): Snapshotter {
  return new DRIVERS[driver](db, root);
}
