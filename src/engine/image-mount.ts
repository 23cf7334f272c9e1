/**
 * `image mount` and `image unmount` (as podman has them): an image's union view, read-only,
 * at `<root>/mounts/<id>`. Crosses images (the layers), unpack (extracting them first) and
 * snapshots (a view on the top layer), so it lives with the engine.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../errdefs/index.ts';
import { digestHex, type Digest } from '../oci/index.ts';
import { isMountPoint, mountAll, mountPoints, unmountAll } from '../mount/index.ts';
import type { Engine } from './engine.ts';

function mountDir(engine: Engine, id: Digest): string {
  return join(engine.root, 'mounts', digestHex(id));
}

const viewKey = (hex: string): string => `image-mount-${hex}`;

/** `image mount`: the image's union view, read-only; returns its path. Idempotent. */
export async function mountImage(engine: Engine, id: Digest): Promise<string> {
  const target = mountDir(engine, id);
  if (isMountPoint(target)) return target;
  const chains = await engine.ensureExtracted(id);
  const top = chains.at(-1);
  if (top === undefined) throw invalidArgument(`image ${id} has no layers to mount`);
  const key = viewKey(digestHex(id));
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
  const key = viewKey(digestHex(id));
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

/** A mount under `mounts/` that nothing can unmount any more: `image unmount` needs its image. */
export interface StaleImageMount {
  /** Its directory under `mounts/` (the image ID's hex). */
  name: string;
  why: string;
}

/**
 * Mounts under `mounts/` that no image mount accounts for: no record of the view (a process
 * that mounted there and died), or an image removed while mounted (the view then keeps its
 * layers for good). A view is recorded before it is mounted, so an `image mount` in flight
 * is never among them.
 */
export function staleImageMounts(engine: Engine): StaleImageMount[] {
  let names: string[];
  try {
    names = readdirSync(join(engine.root, 'mounts'));
  } catch {
    return [];
  }
  const mounted = new Set(mountPoints());
  const stale: StaleImageMount[] = [];
  for (const name of names.sort()) {
    if (!mounted.has(join(engine.root, 'mounts', name))) continue;
    if (!engine.snapshotter.stat(viewKey(name))) stale.push({ name, why: 'no image mount record names it' });
    else if (!engine.images.records.get(`sha256:${name}`)) stale.push({ name, why: 'its image is gone, so `image unmount` cannot name it (the layers it keeps go with it)' });
  }
  return stale;
}

/** Unmounts a stale image mount and drops its view and directory. */
export function removeStaleImageMount(engine: Engine, mount: StaleImageMount): void {
  const target = join(engine.root, 'mounts', mount.name);
  unmountAll(target);
  if (engine.snapshotter.stat(viewKey(mount.name))) engine.snapshotter.remove(viewKey(mount.name));
  if (existsSync(target)) rmdirSync(target);
}
