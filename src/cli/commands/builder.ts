/**
 * `builder prune` and `system prune`, with docker's prompts and output.
 *
 * `system prune` removes what docker's does, in docker's order: stopped containers, with
 * `--volumes` unused anonymous volumes, dangling images (all unused ones with `-a`), and the
 * build cache no image shares (all of it with `-a`); images and cache go through the one
 * garbage collector.
 */
import { confirm } from '../confirm.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';
import { parseFilters } from '../filters.ts';


/** Prunes the build cache and collects what it held; returns the removed IDs and bytes freed. */
async function pruneCache(ctx: CliContext, all: boolean): Promise<{ removed: string[]; reclaimed: number }> {
  const engine = await ctx.engine();
  const { pruneBuildCacheAndCollect } = await import('../../engine/build-cache-prune.ts');
  return pruneBuildCacheAndCollect(engine, all);
}

export async function builderPrune(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const all = Boolean(options['all']);
  if (!options['force']) {
    const warning = all ? 'WARNING! This will remove all build cache.' : 'WARNING! This will remove all dangling build cache.';
    if (!(await confirm(ctx, warning))) return;
  }
  const { humanSize4 } = await import('../format/size.ts');
  const { removed, reclaimed } = await pruneCache(ctx, all);
  if (removed.length > 0) {
    ctx.println('Deleted build cache objects:');
    for (const id of removed) ctx.println(id.slice(0, 25));
    ctx.println();
  }
  ctx.println(`Total reclaimed space: ${humanSize4(reclaimed)}`);
}

export async function systemPrune(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const all = Boolean(options['all']);
  const volumes = Boolean(options['volumes']);
  const filters = parseFilters(options['filter'] as string[] | undefined);
  if (!options['force']) {
    const lines = ['WARNING! This will remove:', '  - all stopped containers'];
    if (volumes) lines.push('  - all anonymous volumes not used by at least one container');
    lines.push(all ? '  - all images without at least one container associated to them' : '  - all dangling images');
    lines.push(all ? '  - all build cache' : '  - unused build cache');
    if (!(await confirm(ctx, `${lines.join('\n')}\n`))) return;
  }
  const engine = await ctx.engine();
  const { humanSize4 } = await import('../format/size.ts');
  // docker's order: containers first (they hold images and volumes), then volumes, images, cache.
  const manager = await engine.containers();
  const containers = await manager.prune(filters);
  if (containers.deleted.length > 0) {
    ctx.println('Deleted Containers:');
    for (const id of containers.deleted) ctx.println(id);
    ctx.println();
  }
  let volumeBytes = 0;
  if (volumes) {
    const removed = manager.volumes.prune({ filters });
    volumeBytes = removed.reclaimed;
    for (const name of removed.deleted) engine.events.append('volume', 'destroy', name, { driver: 'local' });
    if (removed.deleted.length > 0) {
      ctx.println('Deleted Volumes:');
      for (const name of removed.deleted) ctx.println(name);
      ctx.println();
    }
  }
  const images = (await engine.imageRemover()).prune({ all, filters });
  for (const r of images.records) {
    if (r.deleted !== undefined) engine.events.append('image', 'delete', r.deleted);
    if (r.untagged !== undefined) engine.events.append('image', 'untag', r.untagged);
  }
  if (images.records.length > 0) {
    ctx.println('Deleted Images:');
    for (const r of images.records) ctx.println(r.untagged !== undefined ? `untagged: ${r.untagged}` : `deleted: ${r.deleted}`);
    ctx.println();
  }
  const cache = await pruneCache(ctx, all);
  if (cache.removed.length > 0) {
    ctx.println('Deleted build cache objects:');
    for (const id of cache.removed) ctx.println(id.slice(0, 25));
    ctx.println();
  }
  ctx.println(`Total reclaimed space: ${humanSize4(containers.reclaimed + volumeBytes + images.spaceReclaimed + cache.reclaimed)}`);
}
