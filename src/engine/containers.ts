/**
 * Containers wired to the store: one ContainerManager per engine (its layers from the
 * snapshotter, its images' layers extracted on demand), and the questions other engine
 * parts ask about containers (which use an image, for `rmi`).
 */
import { ContainerManager } from '../containers/container-manager.ts';
import type { Digest } from '../oci/index.ts';
import type { Engine } from './engine.ts';
import type { ContainerUse } from './image-removal.ts';

const managers = new WeakMap<Engine, ContainerManager>();

/** The engine's container manager (made on first use). */
export function containerManager(engine: Engine): ContainerManager {
  let m = managers.get(engine);
  if (m === undefined) {
    m = new ContainerManager({
      root: engine.root,
      db: engine.db,
      images: engine.images,
      snapshotter: engine.snapshotter,
      // Loaded when a container is created: `ps`, `logs` and the like never extract layers.
      ensureLayers: async (imageId: Digest) => (await import('./layer-store.ts')).ensureExtracted(engine, imageId),
    });
    managers.set(engine, m);
  }
  return m;
}

/** The containers created from an image, and whether each runs (for `rmi`'s conflicts). */
export function imageUsers(engine: Engine, imageId: Digest): ContainerUse[] {
  const manager = containerManager(engine);
  return manager.idsUsingImage(imageId).map((id) => {
    const c = manager.lookup(id);
    return { id, running: c !== undefined && manager.statusSync(c).Running };
  });
}
