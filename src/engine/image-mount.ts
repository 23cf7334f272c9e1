/**
 * `image mount` and `image unmount` (as podman has them): an image's union view, read-only,
 * at `<root>/mounts/<id>`. Crosses images (the layers), unpack (extracting them first) and
 * snapshots (a view on the top layer), so it lives with the engine.
 */
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../errdefs/index.ts';
import { digestHex, type Digest } from '../oci/index.ts';
import { isMountPoint, mountAll, unmountAll } from '../mount/index.ts';
import type { Engine } from './engine.ts';

function mountDir(engine: Engine, id: Digest): string {
  return join(engine.root, 'mounts', digestHex(id));
}

/** `image mount`: the image's union view, read-only; returns its path. Idempotent. */
export async function mountImage(engine: Engine, id: Digest): Promise<string> {
  const target = mountDir(engine, id);
  if (isMountPoint(target)) return target;
  const chains = await engine.ensureExtracted(id);
  const top = chains.at(-1);
  if (top === undefined) throw invalidArgument(`image ${id} has no layers to mount`);
  const key = `image-mount-${digestHex(id)}`;
  if (engine.snapshotter.stat(key)) engine.snapshotter.remove(key);
  const mounts = engine.snapshotter.view(key, top);
  mkdirSync(target, { recursive: true });
  try {
    mountAll(mounts, target);
  } catch (err) {
    engine.snapshotter.remove(key);
    throw err;
  }
  return target;
}

/** `image unmount`: undoes `image mount`. Returns false when it was not mounted. */
export function unmountImage(engine: Engine, id: Digest): boolean {
  const target = mountDir(engine, id);
  const key = `image-mount-${digestHex(id)}`;
  const was = isMountPoint(target);
  unmountAll(target);
  if (engine.snapshotter.stat(key)) engine.snapshotter.remove(key);
  if (existsSync(target)) rmdirSync(target);
  return was;
}

/** Image IDs whose union view is mounted now (these keep their layers alive). */
export function mountedImages(engine: Engine): Digest[] {
  return engine.snapshotter.walk()
    .filter((r) => r.key.startsWith('image-mount-'))
    .map((r) => `sha256:${r.key.slice('image-mount-'.length)}` as Digest);
}
