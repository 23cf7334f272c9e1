/**
 * Out-of-space errors of writes into snapshots, named by the filesystem that filled up.
 * Light (no layer codec): the pull's sink loads with the engine.
 */
import { isOutOfSpace, StrataError } from '../errdefs/index.ts';
import type { Snapshotter } from './snapshotter.ts';

/**
 * A write into a snapshot that ran out of space, named by the snapshots' directory
 * (`write to <root>/snapshots/overlay: layer entry "a": no space left on device`): the
 * entry alone doesn't say which filesystem filled up. Other errors pass through.
 */
export function namingSnapshotsHome(snapshotter: Pick<Snapshotter, 'home'>, err: unknown): unknown {
  if (!(err instanceof StrataError) || !isOutOfSpace(err) || err.message.startsWith(`write to ${snapshotter.home}`)) return err;
  return new StrataError(err.code, `write to ${snapshotter.home}: ${err.message}`, { cause: err });
}
