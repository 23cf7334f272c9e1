/**
 * `system df`: what the store uses, from sizes recorded when things were stored. Images
 * come from the image records, the build cache from its records (a step's own layer size,
 * shared when an image uses that layer too); containers and volumes join as their modules
 * arrive (each keeps its own sizes).
 */
import { buildCacheUsage, type BuildCacheEntryUsage } from '../builder/cache-admin.ts';
import { imageUsage, listImages, type ImageSummary } from '../images/index.ts';
import { commandLine } from '../containers/container-config.ts';
import { statusText } from '../containers/state.ts';
import type { Engine } from './engine.ts';

export interface ContainerUsage {
  id: string;
  image: string;
  command: string;
  localVolumes: number;
  sizeRw: number;
  created: number;
  state: string;
  status: string;
  names: string[];
}

export interface VolumeUsage {
  name: string;
  links: number;
  size: number;
}

/** A build cache record or cache mount, as build/ reports it. */
export type BuildCacheUsage = BuildCacheEntryUsage;

export interface DiskUsage {
  /** Bytes of every layer some image uses, each counted once. */
  layersSize: number;
  images: ImageSummary[];
  containers: ContainerUsage[];
  volumes: VolumeUsage[];
  buildCache: BuildCacheUsage[];
}

export async function diskUsage(engine: Engine): Promise<DiskUsage> {
  const usage = imageUsage(engine.images);
  const containerCounts = new Map<string, number>();
  const sharedSizes = new Map<string, number>();
  const manager = await engine.containers();
  const counts = manager.countsByImage();
  for (const [id, u] of usage.perImage) {
    sharedSizes.set(id, u.sharedSize);
    containerCounts.set(id, counts.get(id) ?? 0);
  }
  const images = listImages(engine.images, { containerCounts, sharedSizes });
  const containers: ContainerUsage[] = manager.all().map((c) => {
    const status = manager.statusSync(c);
    return {
      id: c.id,
      image: c.stored.imageRef,
      command: commandLine(c.stored),
      localVolumes: c.stored.mounts.filter((m) => m.Type === 'volume').length,
      sizeRw: manager.sizeRw(c),
      created: Math.trunc(Date.parse(c.created) / 1000),
      state: status.Status,
      status: statusText(status),
      names: [c.name],
    };
  });
  const volumes: VolumeUsage[] = manager.volumes.list().map((v) => ({ name: v.Name, links: v.links, size: manager.volumes.size(v.Name) }));
  const buildCache = buildCacheUsage(engine);
  return { layersSize: usage.layersSize, images, containers, volumes, buildCache };
}
