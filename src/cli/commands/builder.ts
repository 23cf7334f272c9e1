/**
 * `builder prune` and `system prune`, with docker's prompts and output.
 *
 * `system prune` removes what docker's does, through the one garbage collector: dangling
 * images (all unused ones with `-a`), the build cache no image shares (all of it with `-a`),
 * and — once the container and volume commands register their pruners here — stopped
 * containers and (with `--volumes`) unused volumes.
 */
import { createInterface } from 'node:readline/promises';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';
import { parseFilters } from '../filters.ts';

async function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  ctx.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const rl = createInterface({ input: process.stdin });
  const answer = await rl.question('').catch(() => '');
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** Prunes the build cache and collects what it held; returns the removed IDs and bytes freed. */
async function pruneCache(ctx: CliContext, all: boolean): Promise<{ removed: string[]; reclaimed: number }> {
  const engine = await ctx.engine();
  const { pruneBuildCache } = await import('../../build/index.ts');
  const result = pruneBuildCache(engine, { all });
  const collected = engine.collectGarbage();
  return { removed: result.removed, reclaimed: result.reclaimedMounts + collected.reclaimedBytes };
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
  const { ImageRemover } = await import('../../engine/index.ts');
  const { humanSize4 } = await import('../format/size.ts');
  const images = new ImageRemover(engine).prune({ all, filters });
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
  ctx.println(`Total reclaimed space: ${humanSize4(images.spaceReclaimed + cache.reclaimed)}`);
}
