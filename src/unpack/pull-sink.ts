/**
 * The pull's layer sink. Loaded with the engine, so it stays light: the layer codec is
 * imported only when a layer actually arrives. It matches the pull's LayerSinkFactory
 * (registry/layer-sink.ts) without importing it: registry/ declares what it needs, this
 * module provides it.
 */
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { dataLoss } from '../errdefs/index.ts';
import { temporaryKey } from '../snapshots/keys.ts';
import { namingSnapshotsHome } from '../snapshots/out-of-space.ts';
import type { Digest } from '../oci/index.ts';
import type { Snapshotter } from '../snapshots/snapshotter.ts';

/** What the sink needs to know of a layer as it starts to arrive. */
export interface ArrivingLayer {
  chainId: Digest;
  parentChainId?: Digest;
}

/** One layer's way into its snapshot: bytes in order, then end (measure and commit) or abort. */
export interface SnapshotSink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<{ diffId: Digest; size: number; tarSize: number }>;
  abort(reason: unknown): Promise<void>;
}

/**
 * The pull's layer sink: each layer's uncompressed bytes go straight into a new snapshot
 * while they download. With overlay, layers extract in parallel (a layer's files don't
 * depend on the layers under it) and commit bottom-up; with native, a layer waits for its
 * parent's tree.
 */
export function snapshotLayerSink(snapshotter: Snapshotter): (info: ArrivingLayer) => SnapshotSink {
  const committed = new Map<string, Promise<void>>();
  const whenCommitted = async (chainId: string | undefined): Promise<void> => {
    if (chainId === undefined || snapshotter.stat(chainId)) return;
    const pending = committed.get(chainId);
    if (!pending) throw dataLoss(`layer ${chainId} was neither pulled nor present`);
    await pending;
  };
  return (info) => {
    const key = temporaryKey('pull');
    const pass = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
    let settle!: { resolve: () => void; reject: (err: unknown) => void };
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    done.catch(() => undefined);
    committed.set(info.chainId, done);
    const applying = (async () => {
      if (!snapshotter.stacksLayers) await whenCommitted(info.parentChainId);
      snapshotter.prepare(key, snapshotter.stacksLayers ? undefined : info.parentChainId);
      const row = snapshotter.stat(key);
      if (!row) throw dataLoss(`snapshot ${key} vanished`);
      const { applyLayer } = await import('../diff/apply.ts');
      return applyLayer({ source: pass, target: snapshotter.fsDir(row), whiteouts: snapshotter.whiteoutMode })
        .catch((err: unknown) => {
          throw namingSnapshotsHome(snapshotter, err);
        });
    })();
    applying.catch(() => undefined);
    return {
      async write(chunk: Buffer) {
        if (!pass.write(chunk)) {
          await Promise.race([once(pass, 'drain'), applying.then(() => undefined)]);
        }
      },
      async end() {
        pass.end();
        const stats = await applying;
        try {
          await whenCommitted(info.parentChainId);
          if (!snapshotter.stat(info.chainId)) {
            snapshotter.commit(info.chainId, key, snapshotter.stacksLayers && info.parentChainId ? { parent: info.parentChainId } : {});
          } else snapshotter.remove(key);
          settle.resolve();
        } catch (err) {
          settle.reject(err);
          throw err;
        }
        return { diffId: stats.diffId as Digest, size: stats.size, tarSize: stats.tarSize };
      },
      async abort(reason: unknown) {
        // Without an error: the extraction may not be reading yet (no 'error' listener, so an
        // error would be thrown as uncaught); its outcome is dropped below either way.
        pass.destroy();
        await applying.catch(() => undefined);
        try {
          const row = snapshotter.stat(key);
          if (row) {
            // Files first: on a full disk SQLite can delete the record only once they gave their space back.
            rmSync(snapshotter.fsDir(row), { recursive: true, force: true });
            snapshotter.remove(key);
          }
        } catch {
          // The temporary snapshot of a process that will be gone: the next sweep removes it.
        } finally {
          settle.reject(reason);
        }
      },
    };
  };
}
