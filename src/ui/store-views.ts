/**
 * The web app's views of the store, as JSON: images with unique and shared sizes, an image's
 * layer stack, which layers images share, disk use, containers and the build cache. All read
 * from records (sizes kept when layers were stored): nothing here walks a layer's files.
 */
import { recentBuilds } from '../builder/build-history.ts';
import { buildCacheUsage } from '../builder/cache-admin.ts';
import { diskUsage, type Engine } from '../engine/index.ts';
import { imageUsage, listImages } from '../images/index.ts';
import { chainIds, parseRfc3339, type Digest } from '../oci/index.ts';
import { statusText } from '../containers/index.ts';
import type { BuildCacheRow, ContainerChanges, ContainerRow, DiskView, ImageDetail, ImageRow, LayerUser, RecentBuild, SharingView, StackLayer } from './api-types.ts';
import type { AnalysisSource } from './analysis-slot.ts';

/** How an image is named on screen: its first tag, else `<none>` and its short ID. */
export function displayName(image: { id: string; repoTags: string[] }): string {
  return image.repoTags[0] ?? `<none> ${image.id.replace(/^sha256:/, '').slice(0, 12)}`;
}

/** Which images use each layer (chain ID), from the image_layers records. */
function layerUsers(engine: Engine): Map<string, Set<string>> {
  const users = new Map<string, Set<string>>();
  for (const { imageId, chainId } of engine.images.records.allImageLayers()) {
    let set = users.get(chainId);
    if (!set) users.set(chainId, (set = new Set()));
    set.add(imageId);
  }
  return users;
}

export async function imageRows(engine: Engine): Promise<ImageRow[]> {
  const usage = imageUsage(engine.images);
  const counts = (await engine.containers()).countsByImage();
  const sharedSizes = new Map([...usage.perImage].map(([id, u]) => [id, u.sharedSize]));
  const layerCounts = new Map<string, number>();
  for (const { imageId } of engine.images.records.allImageLayers()) layerCounts.set(imageId, (layerCounts.get(imageId) ?? 0) + 1);
  return listImages(engine.images, { all: true, sharedSizes, containerCounts: counts }).map((s) => ({
    id: s.Id,
    repoTags: s.RepoTags,
    repoDigests: s.RepoDigests,
    created: s.Created,
    size: s.Size,
    sharedSize: Math.max(s.SharedSize, 0),
    uniqueSize: s.Size - Math.max(s.SharedSize, 0),
    containers: Math.max(s.Containers, 0),
    layers: layerCounts.get(s.Id) ?? 0,
    labels: s.Labels ?? {},
  }));
}

/** One image with its history as a stack, base first; undefined when no such image. */
export async function imageDetail(engine: Engine, ref: string, analysis: AnalysisSource): Promise<ImageDetail | undefined> {
  const id = engine.images.lookup(ref);
  if (id === undefined) return undefined;
  const rows = await imageRows(engine);
  const image = rows.find((r) => r.id === id);
  if (!image) return undefined;
  const names = new Map(rows.map((r) => [r.id, displayName(r)]));
  const users = layerUsers(engine);
  const config = engine.images.config(id);
  const chains = chainIds(config.rootfs.diff_ids);
  const stack: StackLayer[] = [];
  let layer = 0;
  for (const entry of config.history ?? []) {
    const ms = parseRfc3339(entry.created);
    const row: StackLayer = {
      createdBy: entry.created_by ?? '',
      comment: entry.comment ?? '',
      created: ms === undefined ? 0 : Math.floor(ms / 1000),
      emptyLayer: entry.empty_layer === true,
      size: 0,
      diffId: null,
      chainId: null,
      sharedWith: [],
    };
    if (!row.emptyLayer) {
      const chainId = chains[layer];
      row.diffId = config.rootfs.diff_ids[layer] ?? null;
      layer++;
      if (chainId !== undefined) {
        row.chainId = chainId;
        row.size = engine.images.layers.get(chainId)?.size ?? 0;
        row.sharedWith = [...(users.get(chainId) ?? [])].filter((other) => other !== id).map((other) => ({ id: other, name: names.get(other) ?? other })).sort((a, b) => a.name.localeCompare(b.name));
      }
    }
    stack.push(row);
  }
  const c = config.config ?? {};
  // The stack stays viewable when the analyzer cannot read a layer: the page says why.
  let analysisError: string | null = null;
  const analyzed = await analysis(id as Digest).catch((err: unknown) => {
    analysisError = err instanceof Error ? err.message : String(err);
    return null;
  });
  return {
    image,
    stack,
    config: { env: c.Env ?? [], cmd: c.Cmd ?? null, entrypoint: c.Entrypoint ?? null, workingDir: c.WorkingDir ?? '', user: c.User ?? '' },
    analysis: analyzed,
    analysisError,
  };
}

/** The instruction that made each layer, from the first image's history that has it. */
function layerInstructions(engine: Engine, imageIds: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of imageIds) {
    const config = engine.images.config(id as Digest);
    const chains = chainIds(config.rootfs.diff_ids);
    let layer = 0;
    for (const entry of config.history ?? []) {
      if (entry.empty_layer === true) continue;
      const chainId = chains[layer++];
      if (chainId !== undefined && !out.has(chainId)) out.set(chainId, entry.created_by ?? '');
    }
  }
  return out;
}

export async function sharingView(engine: Engine): Promise<SharingView> {
  const rows = await imageRows(engine);
  const images: LayerUser[] = rows.map((r) => ({ id: r.id, name: displayName(r) }));
  const index = new Map(images.map((image, i) => [image.id, i]));
  const users = layerUsers(engine);
  const instructions = layerInstructions(engine, rows.map((r) => r.id));
  const shared = [];
  let totalSaved = 0;
  for (const [chainId, ids] of users) {
    if (ids.size < 2) continue;
    const layer = engine.images.layers.get(chainId);
    const size = layer?.size ?? 0;
    const saved = size * (ids.size - 1);
    totalSaved += saved;
    shared.push({
      chainId, diffId: layer?.diffId ?? '', size, saved, createdBy: instructions.get(chainId) ?? '',
      users: [...ids].map((id) => index.get(id)).filter((i): i is number => i !== undefined).sort((a, b) => a - b),
    });
  }
  shared.sort((a, b) => b.saved - a.saved || (a.chainId < b.chainId ? -1 : 1));
  return { images, shared, totalSaved, layerCount: users.size };
}

/** `system df` as its four rows (with docker's reclaimable rules) and every layer for the treemap. */
export async function diskView(engine: Engine): Promise<DiskView> {
  const du = await diskUsage(engine);
  const active = (state: string): boolean => state === 'running' || state === 'paused' || state === 'restarting';
  const usedImages = du.images.filter((i) => i.Containers > 0);
  // docker/cli's rule: all but the unique bytes of images some container uses.
  const reclaimableImages = du.layersSize - usedImages.filter((i) => i.Size !== -1 && i.SharedSize !== -1).reduce((a, i) => a + i.Size - i.SharedSize, 0);
  const cacheSize = du.buildCache.filter((b) => !b.shared).reduce((a, b) => a + b.size, 0);
  const parts: DiskView['parts'] = [
    { type: 'Images', total: du.images.length, active: usedImages.length, size: du.layersSize, reclaimable: reclaimableImages },
    {
      type: 'Containers', total: du.containers.length, active: du.containers.filter((c) => active(c.state)).length,
      size: du.containers.reduce((a, c) => a + c.sizeRw, 0), reclaimable: du.containers.filter((c) => !active(c.state)).reduce((a, c) => a + c.sizeRw, 0),
    },
    {
      type: 'Local Volumes', total: du.volumes.length, active: du.volumes.filter((v) => v.links > 0).length,
      size: du.volumes.reduce((a, v) => a + Math.max(v.size, 0), 0), reclaimable: du.volumes.filter((v) => v.links === 0).reduce((a, v) => a + Math.max(v.size, 0), 0),
    },
    { type: 'Build Cache', total: du.buildCache.length, active: du.buildCache.filter((b) => b.inUse).length, size: cacheSize, reclaimable: cacheSize },
  ];
  const users = layerUsers(engine);
  const rows = await imageRows(engine);
  const names = new Map(rows.map((r) => [r.id, displayName(r)]));
  const instructions = layerInstructions(engine, rows.map((r) => r.id));
  const layers = [...users].map(([chainId, ids]) => ({
    chainId,
    size: engine.images.layers.get(chainId)?.size ?? 0,
    image: [...ids].map((id) => names.get(id) ?? id).sort()[0] ?? '',
    createdBy: instructions.get(chainId) ?? '',
  }));
  layers.sort((a, b) => b.size - a.size);
  return { parts, layers };
}

export async function containerRows(engine: Engine): Promise<ContainerRow[]> {
  const manager = await engine.containers();
  return manager.all().map((c) => {
    const status = manager.statusSync(c);
    return {
      id: c.id, name: c.name, image: c.stored.imageRef, state: status.Status, status: statusText(status),
      created: Math.trunc(Date.parse(c.created) / 1000), sizeRw: manager.sizeRw(c),
    };
  });
}

/** At most this many changes of a container are sent; the app says how many more. */
const MAX_CHANGES = 5000;

export async function containerChanges(engine: Engine, ref: string): Promise<ContainerChanges | undefined> {
  const manager = await engine.containers();
  const c = manager.lookup(ref);
  if (!c) return undefined;
  const changes = await manager.changes(c);
  return { id: c.id, changes: changes.slice(0, MAX_CHANGES), truncated: changes.length > MAX_CHANGES, sizeRw: manager.sizeRw(c) };
}

export function recentBuildRows(engine: Engine): RecentBuild[] {
  return recentBuilds(engine.root);
}

export function buildCacheRows(engine: Engine): BuildCacheRow[] {
  return buildCacheUsage(engine).map((b) => ({
    id: b.id, type: b.type, description: b.description, size: b.size, createdAt: b.createdAt, lastUsedAt: b.lastUsedAt, usageCount: b.usageCount, shared: b.shared,
  }));
}
